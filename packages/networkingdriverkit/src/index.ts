/**
 * `@driverkit/networkingdriverkit`: Apple's NetworkingDriverKit for TypeScript on Linux. An
 * `IOUserNetworkEthernet` driver shares a packet pool and four queues with the stack (the host), which
 * stands it behind a real Linux TAP interface; its hardware is an `IOEthernetPort`: an existing
 * interface through libpcap, a virtual link, or a replayed capture.
 * @packageDocumentation
 */
export * from './NetworkingDriverKitConstants';
export { IOUserNetworkEthernet } from './IOUserNetworkEthernet';
export { IOUserNetworkPacket } from './IOUserNetworkPacket';
export { IOUserNetworkPacketBufferPool, PoolFlagMapToDext, type IOUserNetworkPacketBufferPoolOptions } from './IOUserNetworkPacketBufferPool';
export { IOUserNetworkPacketQueue, type IOUserNetworkPacketQueueType } from './IOUserNetworkPacketQueue';
export { IOUserNetworkRxSubmissionQueue } from './IOUserNetworkRxSubmissionQueue';
export { IOUserNetworkRxCompletionQueue } from './IOUserNetworkRxCompletionQueue';
export { IOUserNetworkTxSubmissionQueue } from './IOUserNetworkTxSubmissionQueue';
export { IOUserNetworkTxCompletionQueue } from './IOUserNetworkTxCompletionQueue';
export { EthernetInterfaceKernel, type EthernetKernelEvent, type EthernetKernelStatistics } from './kernel/EthernetInterfaceKernel';
export { TapInterface, type TapState } from './kernel/TapInterface';
export { IOEthernetPort } from './IOEthernetPort';
export { EthernetPortOpeners } from './backend/EthernetPortOpeners';
export { EthernetPortProvider, type EthernetPortSpec } from './host/EthernetPortProvider';
export { register, ethernetPortProvider, type NetworkingPluginOptions } from './plugin';
export type { EthernetPortHandle, EthernetPortOpener, EthernetPortStatistics } from './backend/EthernetPortBackend';
export { PcapEthernetPort } from './backend/pcap/PcapEthernetPort';
export { VirtualEthernetLink, type VirtualEthernetLinkOptions, type VirtualLinkImpairments, type VirtualLinkEndDescription } from './backend/virtual/VirtualEthernetLink';
export { VirtualEthernetLinkEnd } from './backend/virtual/VirtualEthernetLinkEnd';
export { VirtualEthernetHost } from './backend/virtual/VirtualEthernetHost';
export { ReplayEthernetPort, type ReplayPortOptions } from './backend/replay/ReplayEthernetPort';
export { CaptureFile, type CapturedFrame } from './capture/CaptureFile';
