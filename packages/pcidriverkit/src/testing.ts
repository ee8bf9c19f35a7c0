/**
 * `@driverkit/pcidriverkit/testing`: what a PCI driver's tests need — a host on a virtual bus of its
 * own ({@link PCITestBench}) and the device models to plug into it.
 * @packageDocumentation
 */
export { PCITestBench } from './testing/PCITestBench';
export { VirtualPCIBus, type VirtualPCISlot } from './backend/virtual/VirtualPCIBus';
export { VirtualPCIDevice, type VirtualPCIBARDescription, type VirtualPCIDeviceDescription, type VirtualPCIExtendedCapability } from './backend/virtual/VirtualPCIDevice';
export { type VirtualPCIModelSpec } from './backend/virtual/VirtualPCIBackend';
export { EduDevice, EDU_DMA_IRQ, EDU_DMA_SIZE, EDU_DMA_START, EDU_FACT_IRQ, type EduDeviceOptions } from './backend/virtual/models/EduDevice';
export { PEX8733DMAChannel, type PEX8733DMAChannelOptions } from './backend/virtual/models/PEX8733DMAChannel';
export { PEX8733VirtualBridge } from './backend/virtual/models/PEX8733VirtualBridge';
