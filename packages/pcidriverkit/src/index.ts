/**
 * `@driverkit/pcidriverkit`: Apple's PCIDriverKit for TypeScript on Linux. IOPCIDevice over Linux
 * sysfs (the machine's own devices, read only), and over virtual device models (QEMU's edu, the
 * PEX8733 DMA channel) that serve the same driver code.
 * @packageDocumentation
 */
export * from './PCIDriverKitConstants';
export { checkConfigAccess, extendedCapabilities, findCapability, PCIConfigSnapshot, standardCapabilities, type PCICapability, type PCIConfigReader } from './config/PCIConfigSpace';
export { capabilityName, decodeBARs, decodePCIConfig, type PCIBARDecode, type PCIConfigDecode, type PCIMSIDecode, type PCIMSIXDecode } from './config/PCIConfigDecode';
export { parsePCIConfigDump, type PCIConfigDumpFunction } from './config/PCIConfigDump';
export type { PCIBARAccess, PCIDeviceHandle, PCIDeviceOpener, PCIEnumerator, PCIFunctionAddress, PCIFunctionInfo } from './backend/PCIBackend';
export { SysfsPCIBackend } from './backend/sysfs/SysfsPCIBackend';
export { SysfsPCIDeviceHandle } from './backend/sysfs/SysfsPCIDeviceHandle';
export { IOPCIDevice, kIOPCIBackendKey, kIOPCIDeviceMemoryKey, kIOPCILocatorKey, type IOPCIBARInfo } from './IOPCIDevice';
export { PCIDeviceOpeners } from './backend/PCIDeviceOpeners';
export { VirtualPCIDevice, type VirtualPCIBARDescription, type VirtualPCIDeviceDescription, type VirtualPCIExtendedCapability } from './backend/virtual/VirtualPCIDevice';
export { VirtualPCIDeviceHandle } from './backend/virtual/VirtualPCIDeviceHandle';
export { VirtualPCIMapper } from './backend/virtual/VirtualPCIMapper';
export { VirtualPCIBackend, createVirtualPCIModel, type VirtualPCIModelSpec } from './backend/virtual/VirtualPCIBackend';
export { VirtualPCIBus, type VirtualPCISlot } from './backend/virtual/VirtualPCIBus';
export { EduDevice, EDU_DMA_IRQ, EDU_DMA_SIZE, EDU_DMA_START, EDU_FACT_IRQ, type EduDeviceOptions } from './backend/virtual/models/EduDevice';
export { PEX8733DMAChannel, type PEX8733DMAChannelOptions } from './backend/virtual/models/PEX8733DMAChannel';
export { PEX8733VirtualBridge } from './backend/virtual/models/PEX8733VirtualBridge';
export { PCIHostController, pciNubProperties } from './host/PCIHostController';
export { PCIMatchingFamily, kIOPCIMatchScore, parsePCIMatchString, type PCIMatchAlternative } from './matching/PCIMatchingFamily';
export { register, type PCIPluginOptions } from './plugin';
export { VFIOPCIBackend } from './backend/vfio/VFIOPCIBackend';
export { VFIOPCIDeviceHandle } from './backend/vfio/VFIOPCIDeviceHandle';
