/**
 * `@driverkit/networkingdriverkit/testing`: what an Ethernet driver's tests need — a host publishing
 * only the ports a test adds ({@link EthernetTestBench}), on virtual links whose far end the test holds.
 * @packageDocumentation
 */
export { EthernetTestBench, type EthernetTestLink } from './testing/EthernetTestBench';
export { EthernetPortProvider, type EthernetPortSpec } from './host/EthernetPortProvider';
export { VirtualEthernetLink, type VirtualEthernetLinkOptions, type VirtualLinkImpairments } from './backend/virtual/VirtualEthernetLink';
export { VirtualEthernetLinkEnd } from './backend/virtual/VirtualEthernetLinkEnd';
export { VirtualEthernetHost } from './backend/virtual/VirtualEthernetHost';
