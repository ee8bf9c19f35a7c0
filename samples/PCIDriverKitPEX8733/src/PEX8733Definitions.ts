//
//  PEX8733Definitions.ts
//  PEX8733
//
//  Apple's PEX8733Definitions.h (IOPCIFamily, PEX8733/), as TypeScript constants.
//

export const PEX8733Bit = (bit: number) => (1 << bit) >>> 0;
export const PEX8733Range = (start: number, end: number) => (~((1 << start) - 1) & ((1 << end) | ((1 << end) - 1))) >>> 0;

// 4.3.2 PCI Express Memory-Mapped Configuration Space
export const descriptorSpaceOffset = (channel: number) => 0x20000 + 0x400 * channel;
export const virtualBridgeconfigurationSpaceOffset = (channel: number) => 0x21000 + 0x1000 * channel;

export enum PEX8733TestMode {
  kPEX8733TestModeNone = 0,
  kPEX8733TestModeBlock,
  kPEX8733TestModeDescriptor,
}

export const kPEX8733VendorID = 0x10b5;
export const kPEX8733DMADeviceID = 0x87d0;
export const kPEX8733SwitchDeviceID = 0x8733;

export const kPEX8733DefaultTestTransferSizeNumPages = 2;
export const kPEX8733DefaultDescriptorSize = 16;

export const kPEX8733DefaultNumDMADescriptors = 4;
export const kPEX8733DefaultDMADescriptorPrefetchLimit = 1;
export const kPEX8733MemoryIndex = 0;
export const kPEX8733MSIInterruptIndex = 1;
export const kPEX8733DefaultChannel = 0;

export const kPEX8733DMAChannelGlobalControlModeFour = 0;
export const kPEX8733DMAChannelGlobalControlModeOne = 1;
export const kPEX8733DMAChannelGlobalControlModeTwo = 2;

// Section 19.12 of PEX_8733 Data Book
export const kPEX8733DMAChannelCapabilitiesOffset = 0x1f0;
export const kPEX8733DMAChannelGlobalControlOffset = 0x8;
export const kPEX8733DMAChannelSourceAddressLowerOffset = 0x10;
export const kPEX8733DMAChannelSourceAddressUpperOffset = 0x14;
export const kPEX8733DMAChannelDestinationAddressLowerOffset = 0x18;
export const kPEX8733DMAChannelDestinationAddressUpperOffset = 0x1c;
export const kPEX8733DMAChannelTransferSizeOffset = 0x20;
export const kPEX8733DMAChannelDescriptorRingAddressLowerOffset = 0x24;
export const kPEX8733DMAChannelDescriptorRingAddressUpperOffset = 0x28;
export const kPEX8733DMAChannelDescriptorRingNextDescriptorAddressLowerOffset = 0x2c;
export const kPEX8733DMAChannelDescriptorRingRingSizeOffset = 0x30;
export const kPEX8733DMAChannelDescriptorRingLastDescriptorAddressLowerOffset = 0x34;
export const kPEX8733DMAChannelDescriptorRingLastDescriptorTransferSizeOffset = 0x38;
export const kPEX8733DMAChannelMaximumPrefetchLimitOffset = 0x44;
export const kPEX8733DMAChannelControlStatusRegisterOffset = 0x48;
export const kPEX8733DMAChannelInterruptControlStatusRegisterOffset = 0x4c;

export const kPEX8733DMAChannelSize = 0x1000;
export const kPEX8733DMAChannelCapabilityID = -0xb;

export const kPEX8733DMAChannelControlStatusGracefulPause = PEX8733Bit(0);
export const kPEX8733DMAChannelControlStatusAbort = PEX8733Bit(1);
export const kPEX8733DMAChannelControlStatusCompletionStatusWriteBackEnable = PEX8733Bit(2);
export const kPEX8733DMAChannelControlStatusStart = PEX8733Bit(3);
export const kPEX8733DMAChannelControlStatusRingStopMode = PEX8733Bit(4);

export const kPEX8733DMAChannelControlStatusDescriptorModeSelectRange = PEX8733Range(5, 6);
export const kPEX8733DMAChannelControlStatusDescriptorModeSelectBlockMode = 0 << 5;
export const kPEX8733DMAChannelControlStatusDescriptorModeSelectOnChip = 1 << 5;
export const kPEX8733DMAChannelControlStatusDescriptorModeSelectOffChip = 2 << 5;

// Write 1 to clear status bits
export const kPEX8733DMAChannelControlStatusRange = PEX8733Range(8, 12);
export const kPEX8733DMAChannelControlStatusInvalidStatus = PEX8733Bit(8);
export const kPEX8733DMAChannelControlStatusGracefulPauseDoneStatus = PEX8733Bit(9);
export const kPEX8733DMAChannelControlStatusAbortDoneStatus = PEX8733Bit(10);
export const kPEX8733DMAChannelControlStatusImmediatePuaseDoneStatus = PEX8733Bit(12);

export const kPEX8733DMAChannelControlStatusInProgress = PEX8733Bit(30);
export const kPEX8733DMAChannelControlStatusHeaderLoggingValid = PEX8733Bit(31);

export const kPEX8733DMAChannelInterruptControlStatusEnableRange = PEX8733Range(0, 5);
export const kPEX8733DMAChannelInterruptControlStatusErrorInterruptEnable = PEX8733Bit(0);
export const kPEX8733DMAChannelInterruptControlStatusInvalidDescriptorInterruptEnable = PEX8733Bit(1);
export const kPEX8733DMAChannelInterruptControlStatusAbortDoneInterruptEnable = PEX8733Bit(3);
export const kPEX8733DMAChannelInterruptControlStatusGracefulPauseDoneInterruptEnable = PEX8733Bit(4);
export const kPEX8733DMAChannelInterruptControlStatusImmediatePauseDoneInterruptEnable = PEX8733Bit(5);
export const kPEX8733DMAChannelInterruptControlStatusIRQPinInterruptEnable = PEX8733Bit(15);

// Write 1 to clear status bits
export const kPEX8733DMAChannelInterruptControlStatusInterruptStatusRange = PEX8733Range(16, 21);
export const kPEX8733DMAChannelInterruptControlStatusErrorInterruptStatus = PEX8733Bit(16);
export const kPEX8733DMAChannelInterruptControlStatusInvalidDescriptorInterruptStatus = PEX8733Bit(17);
export const kPEX8733DMAChannelInterruptControlStatusDescriptorDoneInterruptStatus = PEX8733Bit(18);
export const kPEX8733DMAChannelInterruptControlStatusAbortDoneInterruptStatus = PEX8733Bit(19);
export const kPEX8733DMAChannelInterruptControlStatusGracefulPauseDoneInterruptStatus = PEX8733Bit(20);
export const kPEX8733DMAChannelInterruptControlStatusImmediatePauseDoneInterruptStatus = PEX8733Bit(21);

export const kPEX8733DMAChannelTransferSizeRegisterTransferSizeRange = PEX8733Range(0, 26);
export const kPEX8733DMAChannelTransferSizeRegisterWriteAddressConstant = PEX8733Bit(28);
export const kPEX8733DMAChannelTransferSizeRegisterReadAddressConstant = PEX8733Bit(29);
export const kPEX8733DMAChannelTransferSizeRegisterDoneInterruptEnable = PEX8733Bit(30);
export const kPEX8733DMAChannelTransferSizeRegisterDMAValid = PEX8733Bit(31);

// Section 8.7.1 of PEX_8733 Data Book: the packed 16-byte DMAStandardDescriptor.
export interface DMAStandardDescriptor {
  transferSize: number; // 27 bits
  descriptorFormat: number; // 1 bit
  holdWriteAddressConstant: number;
  holdReadAddressConstant: number;
  interruptWhenDoneWithDescriptor: number;
  descriptorValid: number;
  upperDestinationAddress: number; // 16 bits
  upperSourceAddress: number; // 16 bits
  lowerSourceAddress: number;
  lowerDestinationAddress: number;
}

export const sizeofDMAStandardDescriptor = 16;

/** `descriptorRing[index] = descriptor`, in the struct's packed little-endian layout. */
export function writeDMAStandardDescriptor(ring: Uint8Array, index: number, d: DMAStandardDescriptor): void {
  const v = new DataView(ring.buffer, ring.byteOffset + index * sizeofDMAStandardDescriptor, sizeofDMAStandardDescriptor);
  v.setUint32(0, ((d.transferSize & 0x7ffffff) | (d.descriptorFormat << 27) | (d.holdWriteAddressConstant << 28) | (d.holdReadAddressConstant << 29) | (d.interruptWhenDoneWithDescriptor << 30) | (d.descriptorValid << 31)) >>> 0, true);
  v.setUint16(4, d.upperDestinationAddress & 0xffff, true);
  v.setUint16(6, d.upperSourceAddress & 0xffff, true);
  v.setUint32(8, d.lowerSourceAddress >>> 0, true);
  v.setUint32(12, d.lowerDestinationAddress >>> 0, true);
}
