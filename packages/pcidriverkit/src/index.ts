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
