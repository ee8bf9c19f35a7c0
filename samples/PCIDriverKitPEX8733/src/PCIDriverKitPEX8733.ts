//
//  PCIDriverKitPEX8733.ts
//  PCIDriverKitPEX8733
//
//  Apple's PCIDriverKitPEX8733.cpp (IOPCIFamily, PEX8733/), ported: a driver for the DMA channel
//  functions of a PEX 8733 switch that runs a block transfer, then a descriptor-ring transfer, and
//  checks each by comparing the halves of its buffers.
//
import {
  IOBufferMemoryDescriptor,
  IODMACommand,
  IOInterruptDispatchSource,
  IOReturnError,
  IOService,
  IOSleep,
  LinuxNative,
  OSAction,
  OSDynamicCast,
  kIODMACommandCompleteDMANoOptions,
  kIODMACommandCreateNoOptions,
  kIODMACommandPrepareForDMANoOptions,
  kIODMACommandSpecificationNoOptions,
  kIOMemoryDirectionOut,
  kIOMemoryDirectionOutIn,
  kIOReturnNoDevice,
  type IODMACommandSpecification,
  type IODispatchQueue,
} from '@driverkit/driverkit';
import { IOPCIDevice, kIOPCICommandBusLead, kIOPCICommandMemorySpace, kIOPCIConfigurationOffsetCommand } from '@driverkit/pcidriverkit';
import {
  PEX8733TestMode,
  kPEX8733DMAChannelCapabilityID,
  kPEX8733DMAChannelControlStatusCompletionStatusWriteBackEnable,
  kPEX8733DMAChannelControlStatusDescriptorModeSelectBlockMode,
  kPEX8733DMAChannelControlStatusDescriptorModeSelectOffChip,
  kPEX8733DMAChannelControlStatusDescriptorModeSelectRange,
  kPEX8733DMAChannelControlStatusHeaderLoggingValid,
  kPEX8733DMAChannelControlStatusRange,
  kPEX8733DMAChannelControlStatusRegisterOffset,
  kPEX8733DMAChannelControlStatusRingStopMode,
  kPEX8733DMAChannelControlStatusStart,
  kPEX8733DMAChannelDescriptorRingAddressLowerOffset,
  kPEX8733DMAChannelDescriptorRingAddressUpperOffset,
  kPEX8733DMAChannelDescriptorRingNextDescriptorAddressLowerOffset,
  kPEX8733DMAChannelDescriptorRingRingSizeOffset,
  kPEX8733DMAChannelDestinationAddressLowerOffset,
  kPEX8733DMAChannelDestinationAddressUpperOffset,
  kPEX8733DMAChannelGlobalControlModeOne,
  kPEX8733DMAChannelGlobalControlOffset,
  kPEX8733DMAChannelInterruptControlStatusDescriptorDoneInterruptStatus,
  kPEX8733DMAChannelInterruptControlStatusEnableRange,
  kPEX8733DMAChannelInterruptControlStatusErrorInterruptEnable,
  kPEX8733DMAChannelInterruptControlStatusErrorInterruptStatus,
  kPEX8733DMAChannelInterruptControlStatusGracefulPauseDoneInterruptEnable,
  kPEX8733DMAChannelInterruptControlStatusGracefulPauseDoneInterruptStatus,
  kPEX8733DMAChannelInterruptControlStatusImmediatePauseDoneInterruptEnable,
  kPEX8733DMAChannelInterruptControlStatusImmediatePauseDoneInterruptStatus,
  kPEX8733DMAChannelInterruptControlStatusInterruptStatusRange,
  kPEX8733DMAChannelInterruptControlStatusInvalidDescriptorInterruptEnable,
  kPEX8733DMAChannelInterruptControlStatusInvalidDescriptorInterruptStatus,
  kPEX8733DMAChannelInterruptControlStatusRegisterOffset,
  kPEX8733DMAChannelMaximumPrefetchLimitOffset,
  kPEX8733DMAChannelSourceAddressLowerOffset,
  kPEX8733DMAChannelSourceAddressUpperOffset,
  kPEX8733DMAChannelTransferSizeOffset,
  kPEX8733DMAChannelTransferSizeRegisterDMAValid,
  kPEX8733DMAChannelTransferSizeRegisterDoneInterruptEnable,
  kPEX8733DMAChannelTransferSizeRegisterTransferSizeRange,
  kPEX8733DefaultDMADescriptorPrefetchLimit,
  kPEX8733DefaultNumDMADescriptors,
  kPEX8733DefaultTestTransferSizeNumPages,
  sizeofDMAStandardDescriptor,
  writeDMAStandardDescriptor,
} from './PEX8733Definitions';

export { PCIDriverKitPEX8733VBridge } from './PCIDriverKitPEX8733VBridge';

const debugLog = (fn: string, message: string) => console.log(`PCIDriverKitPEX8733::${fn}:  ${message}`);
const IOVMPageSize = LinuxNative.pageSize();

interface PCIDriverKitPEX8733_IVars {
  pciDevice: IOPCIDevice | null;
  interruptSource: IOInterruptDispatchSource | null;
  defaultQueue: IODispatchQueue | null;
  vendorCapabilityOffset: number;
  currentTest: PEX8733TestMode;
  blockTransferBuffer: IOBufferMemoryDescriptor | null;
  blockTransferDMA: IODMACommand | null;
  descriptorTransferBuffers: Array<IOBufferMemoryDescriptor | null> | null;
  descriptorTransferDMAs: Array<IODMACommand | null> | null;
  ringBuffer: IOBufferMemoryDescriptor | null;
  ringBufferDMA: IODMACommand | null;
}

const bytesEqual = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) === 0;

export class PCIDriverKitPEX8733 extends IOService {
  ivars!: PCIDriverKitPEX8733_IVars;

  override init(): boolean {
    if (super.init() !== true) {
      return false;
    }

    this.ivars = {
      pciDevice: null,
      interruptSource: null,
      defaultQueue: null,
      vendorCapabilityOffset: 0,
      currentTest: PEX8733TestMode.kPEX8733TestModeNone,
      blockTransferBuffer: null,
      blockTransferDMA: null,
      descriptorTransferBuffers: null,
      descriptorTransferDMAs: null,
      ringBuffer: null,
      ringBufferDMA: null,
    };

    return true;
  }

  override free(): void {
    this.ivars?.interruptSource?.release();
    this.ivars?.defaultQueue?.release();
    super.free();
  }

  override async Start(provider: IOService): Promise<void> {
    await super.Start(provider);

    this.ivars.pciDevice = OSDynamicCast(IOPCIDevice, provider);
    if (this.ivars.pciDevice === null) {
      await this.Stop(provider);
      throw new IOReturnError(kIOReturnNoDevice, `${provider.getName()} is not an IOPCIDevice`);
    }
    this.ivars.pciDevice.retain();

    try {
      await this.ivars.pciDevice.Open(this, 0);
    } catch (e) {
      await this.Stop(provider);
      throw new IOReturnError(kIOReturnNoDevice, `cannot open ${provider.getName()}: ${(e as Error).message}`, { cause: e });
    }

    // The original also fails to get B:D:F only when the call fails; here GetBusDeviceFunction throws.
    const { function: functionNumber } = this.ivars.pciDevice.GetBusDeviceFunction();

    if (functionNumber !== 1) {
      debugLog('Start', `skipping function ${functionNumber}`);
      // As the original: it stops itself and returns false, which is kIOReturnSuccess (0).
      await this.Stop(provider);
      return;
    }

    debugLog('Start', 'Kevin enabling bus lead and memory space');
    const command = this.ivars.pciDevice.ConfigurationRead16(kIOPCIConfigurationOffsetCommand);
    this.ivars.pciDevice.ConfigurationWrite16(kIOPCIConfigurationOffsetCommand, command | kIOPCICommandBusLead | kIOPCICommandMemorySpace);

    this.ivars.vendorCapabilityOffset = this.ivars.pciDevice.FindPCICapability(kPEX8733DMAChannelCapabilityID, 0);

    // for now only allow 1 channel
    this.ivars.pciDevice.ConfigurationWrite32(this.ivars.vendorCapabilityOffset + kPEX8733DMAChannelGlobalControlOffset, kPEX8733DMAChannelGlobalControlModeOne);

    this.ivars.defaultQueue = this.CopyDispatchQueue('Default') as IODispatchQueue | null;
    if (this.ivars.defaultQueue === null) {
      debugLog('Start', 'failed to copy queue');
      await this.Stop(provider);
      return;
    }

    this.ivars.interruptSource = IOInterruptDispatchSource.Create(this.ivars.pciDevice, 1, this.ivars.defaultQueue);
    const action = OSAction.Create(this, 'InterruptOccurred');
    this.ivars.interruptSource.SetHandler(action);
    action.release();

    this.ivars.interruptSource.SetEnable(true);

    // temporary hack to ensure the bridge bus leading is enabled before issue'ing DMA's
    await IOSleep(1000);
    this.dmaBlockTransferTest();
    //    this.dmaDescriptorTransferTest();
  }

  override async Stop(provider: IOService): Promise<void> {
    debugLog('Stop', 'disabling bus lead and memory space');
    if (this.ivars.pciDevice !== null) {
      const command = this.ivars.pciDevice.ConfigurationRead16(kIOPCIConfigurationOffsetCommand);
      this.ivars.pciDevice.ConfigurationWrite16(kIOPCIConfigurationOffsetCommand, command & ~(kIOPCICommandBusLead | kIOPCICommandMemorySpace));
    }
    this.ivars.interruptSource?.Cancel();
    this.ivars.pciDevice?.release();
    this.ivars.pciDevice = null;
    await super.Stop(provider);
  }

  InterruptOccurred(_action: OSAction, _count: bigint, _time: bigint): void {
    const pciDevice = this.ivars.pciDevice;
    if (pciDevice === null) return;

    // Wait for transfer to complete
    const interruptControlStatus = pciDevice.ConfigurationRead32(this.ivars.vendorCapabilityOffset + kPEX8733DMAChannelInterruptControlStatusRegisterOffset);
    debugLog('InterruptOccurred', `interrupt control status 0x${interruptControlStatus.toString(16)}`);

    if (
      (interruptControlStatus &
        (kPEX8733DMAChannelInterruptControlStatusDescriptorDoneInterruptStatus |
          kPEX8733DMAChannelInterruptControlStatusErrorInterruptStatus |
          kPEX8733DMAChannelInterruptControlStatusInvalidDescriptorInterruptStatus |
          kPEX8733DMAChannelInterruptControlStatusGracefulPauseDoneInterruptStatus |
          kPEX8733DMAChannelInterruptControlStatusImmediatePauseDoneInterruptStatus)) !==
      0
    ) {
      switch (this.ivars.currentTest) {
        case PEX8733TestMode.kPEX8733TestModeBlock: {
          this.ivars.blockTransferDMA?.CompleteDMA(kIODMACommandCompleteDMANoOptions);
          const virtualAddressSegment = this.ivars.blockTransferBuffer!.GetBytes();
          const half = (IOVMPageSize * kPEX8733DefaultTestTransferSizeNumPages) / 2;

          if (!bytesEqual(virtualAddressSegment.subarray(0, half), virtualAddressSegment.subarray(half, 2 * half))) {
            debugLog('InterruptOccurred', 'source and destination do not match');
          } else {
            debugLog('InterruptOccurred', 'dma successful');
          }

          pciDevice.ConfigurationWrite32(this.ivars.vendorCapabilityOffset + kPEX8733DMAChannelSourceAddressLowerOffset, 0);
          pciDevice.ConfigurationWrite32(this.ivars.vendorCapabilityOffset + kPEX8733DMAChannelSourceAddressUpperOffset, 0);

          pciDevice.ConfigurationWrite32(this.ivars.vendorCapabilityOffset + kPEX8733DMAChannelDestinationAddressLowerOffset, 0);
          pciDevice.ConfigurationWrite32(this.ivars.vendorCapabilityOffset + kPEX8733DMAChannelDestinationAddressUpperOffset, 0);
          this.ivars.blockTransferDMA?.release();
          this.ivars.blockTransferDMA = null;
          this.ivars.blockTransferBuffer?.release();
          this.ivars.blockTransferBuffer = null;
          this.ivars.currentTest = PEX8733TestMode.kPEX8733TestModeNone;
          // start the next test
          this.dmaDescriptorTransferTest();
          break;
        }
        case PEX8733TestMode.kPEX8733TestModeDescriptor: {
          // The original completes every command inside the loop below, once per descriptor; its
          // repeated CompleteDMA calls return errors it ignores. Here they would throw, so each
          // command is completed once, before the check.
          for (let i = 0; i < kPEX8733DefaultNumDMADescriptors; i++) {
            this.ivars.descriptorTransferDMAs![i]?.CompleteDMA(kIODMACommandCompleteDMANoOptions);
          }
          for (let j = 0; j < kPEX8733DefaultNumDMADescriptors; j++) {
            const descriptorBufferVirtualAddressSegment = this.ivars.descriptorTransferBuffers![j]!.GetBytes();
            const half = descriptorBufferVirtualAddressSegment.length / 2;

            if (!bytesEqual(descriptorBufferVirtualAddressSegment.subarray(0, half), descriptorBufferVirtualAddressSegment.subarray(half))) {
              debugLog('InterruptOccurred', `descriptor [${j}]: source and destination do not match`);
            } else {
              debugLog('InterruptOccurred', `dma[${j}] successful`);
            }
          }

          pciDevice.ConfigurationWrite32(this.ivars.vendorCapabilityOffset + kPEX8733DMAChannelDescriptorRingAddressLowerOffset, 0);
          pciDevice.ConfigurationWrite32(this.ivars.vendorCapabilityOffset + kPEX8733DMAChannelDescriptorRingAddressUpperOffset, 0);
          pciDevice.ConfigurationWrite32(this.ivars.vendorCapabilityOffset + kPEX8733DMAChannelDescriptorRingNextDescriptorAddressLowerOffset, 0);

          this.ivars.ringBufferDMA?.CompleteDMA(kIODMACommandCompleteDMANoOptions);
          this.ivars.ringBufferDMA?.release();
          this.ivars.ringBufferDMA = null;
          this.ivars.ringBuffer?.release();
          this.ivars.ringBuffer = null;
          for (let i = 0; i < kPEX8733DefaultNumDMADescriptors; i++) {
            this.ivars.descriptorTransferDMAs![i]?.release();
            this.ivars.descriptorTransferBuffers![i]?.release();
          }
          this.ivars.descriptorTransferBuffers = null;
          this.ivars.descriptorTransferDMAs = null;
          this.ivars.currentTest = PEX8733TestMode.kPEX8733TestModeNone;

          debugLog('InterruptOccurred', 'Tests complete');
          break;
        }
        default: {
          debugLog('InterruptOccurred', 'unkown test');
          break;
        }
      }
    }
  }

  dmaBlockTransferTest(): void {
    this.ivars.currentTest = PEX8733TestMode.kPEX8733TestModeBlock;
    debugLog('dmaBlockTransferTest', 'starting dmaBlockTransferTest');
    const pciDevice = this.ivars.pciDevice!;

    const bufferCapacity = IOVMPageSize * kPEX8733DefaultTestTransferSizeNumPages;
    const bufferAlignment = IOVMPageSize;

    this.ivars.blockTransferBuffer = IOBufferMemoryDescriptor.Create(kIOMemoryDirectionOutIn, bufferCapacity, bufferAlignment);
    this.ivars.blockTransferBuffer.SetLength(bufferCapacity);
    const virtualAddressSegment = this.ivars.blockTransferBuffer.GetBytes();

    // Populate the first half of the buffer with data to be written to the 2nd half
    const transferSize = virtualAddressSegment.length / 2;
    for (let i = 0; i < transferSize; i++) {
      virtualAddressSegment[i] = i % 0xff;
    }

    const dmaSpecification: IODMACommandSpecification = { options: kIODMACommandSpecificationNoOptions, maxAddressBits: 64 };
    this.ivars.blockTransferDMA = IODMACommand.Create(pciDevice, kIODMACommandCreateNoOptions, dmaSpecification);

    const { segments } = this.ivars.blockTransferDMA.PrepareForDMA(kIODMACommandPrepareForDMANoOptions, this.ivars.blockTransferBuffer, 0, 0);
    const physicalAddressSegment = segments[0]!;
    const cap = this.ivars.vendorCapabilityOffset;
    const destination = physicalAddressSegment.address + BigInt(transferSize);

    pciDevice.ConfigurationWrite32(cap + kPEX8733DMAChannelSourceAddressLowerOffset, Number(physicalAddressSegment.address & 0xffffffffn));
    pciDevice.ConfigurationWrite32(cap + kPEX8733DMAChannelSourceAddressUpperOffset, Number(physicalAddressSegment.address >> 32n));

    pciDevice.ConfigurationWrite32(cap + kPEX8733DMAChannelDestinationAddressLowerOffset, Number(destination & 0xffffffffn));
    pciDevice.ConfigurationWrite32(cap + kPEX8733DMAChannelDestinationAddressUpperOffset, Number(destination >> 32n));

    pciDevice.ConfigurationWrite32(cap + kPEX8733DMAChannelTransferSizeOffset, kPEX8733DMAChannelTransferSizeRegisterDMAValid | kPEX8733DMAChannelTransferSizeRegisterDoneInterruptEnable | (transferSize & kPEX8733DMAChannelTransferSizeRegisterTransferSizeRange));

    let interruptControlStatus = pciDevice.ConfigurationRead32(cap + kPEX8733DMAChannelInterruptControlStatusRegisterOffset);

    // clear interrupts (clear on write)
    interruptControlStatus |= kPEX8733DMAChannelInterruptControlStatusInterruptStatusRange;

    // enable interrupts
    interruptControlStatus |=
      kPEX8733DMAChannelInterruptControlStatusErrorInterruptEnable |
      kPEX8733DMAChannelInterruptControlStatusInvalidDescriptorInterruptEnable |
      kPEX8733DMAChannelInterruptControlStatusGracefulPauseDoneInterruptEnable |
      kPEX8733DMAChannelInterruptControlStatusImmediatePauseDoneInterruptEnable;

    pciDevice.ConfigurationWrite32(cap + kPEX8733DMAChannelInterruptControlStatusRegisterOffset, interruptControlStatus);

    // Enable DMA Block Mode, disable descriptor completion status writeback, and clear any active status bits
    let controlStatus = pciDevice.ConfigurationRead32(cap + kPEX8733DMAChannelControlStatusRegisterOffset);

    controlStatus &= ~kPEX8733DMAChannelControlStatusDescriptorModeSelectRange;
    controlStatus &= ~kPEX8733DMAChannelControlStatusCompletionStatusWriteBackEnable;
    controlStatus |= kPEX8733DMAChannelControlStatusStart | kPEX8733DMAChannelControlStatusDescriptorModeSelectBlockMode;

    // clear any active status bits
    controlStatus |= kPEX8733DMAChannelControlStatusRange | kPEX8733DMAChannelControlStatusHeaderLoggingValid;

    // start DMA transfer
    pciDevice.ConfigurationWrite32(cap + kPEX8733DMAChannelControlStatusRegisterOffset, controlStatus);
  }

  dmaDescriptorTransferTest(): void {
    this.ivars.currentTest = PEX8733TestMode.kPEX8733TestModeDescriptor;

    debugLog('dmaDescriptorTransferTest', 'starting dmaDescriptorTransferTest');
    const pciDevice = this.ivars.pciDevice!;
    const cap = this.ivars.vendorCapabilityOffset;

    const numDescriptors = kPEX8733DefaultNumDMADescriptors;
    const transferBufferSize = IOVMPageSize * kPEX8733DefaultTestTransferSizeNumPages;
    const transferBufferAlignment = IOVMPageSize;

    this.ivars.descriptorTransferBuffers = new Array<IOBufferMemoryDescriptor | null>(numDescriptors).fill(null);
    this.ivars.descriptorTransferDMAs = new Array<IODMACommand | null>(numDescriptors).fill(null);

    this.ivars.ringBuffer = IOBufferMemoryDescriptor.Create(kIOMemoryDirectionOut, numDescriptors * sizeofDMAStandardDescriptor, transferBufferAlignment);

    this.ivars.ringBuffer.SetLength(numDescriptors * sizeofDMAStandardDescriptor);
    const ringBufferVirtualAddressSegment = this.ivars.ringBuffer.GetBytes();

    const dmaSpecification: IODMACommandSpecification = { options: kIODMACommandSpecificationNoOptions, maxAddressBits: 64 };
    this.ivars.ringBufferDMA = IODMACommand.Create(pciDevice, kIODMACommandCreateNoOptions, dmaSpecification);

    const ringBufferPhysicalAddressSegment = this.ivars.ringBufferDMA.PrepareForDMA(kIODMACommandPrepareForDMANoOptions, this.ivars.ringBuffer, 0, 0).segments[0]!;

    pciDevice.ConfigurationWrite32(cap + kPEX8733DMAChannelDescriptorRingAddressLowerOffset, Number(ringBufferPhysicalAddressSegment.address & 0xffffffffn));
    pciDevice.ConfigurationWrite32(cap + kPEX8733DMAChannelDescriptorRingAddressUpperOffset, Number(ringBufferPhysicalAddressSegment.address >> 32n));

    pciDevice.ConfigurationWrite32(cap + kPEX8733DMAChannelDescriptorRingNextDescriptorAddressLowerOffset, Number(ringBufferPhysicalAddressSegment.address & 0xffffffffn));

    const descriptorRing = ringBufferVirtualAddressSegment;
    for (let i = 0; i < numDescriptors; i++) {
      this.ivars.descriptorTransferBuffers[i] = IOBufferMemoryDescriptor.Create(kIOMemoryDirectionOutIn, transferBufferSize, transferBufferAlignment);

      this.ivars.descriptorTransferBuffers[i]!.SetLength(transferBufferSize);
      const descriptorBufferVirtualAddressSegment = this.ivars.descriptorTransferBuffers[i]!.GetBytes();

      this.ivars.descriptorTransferDMAs[i] = IODMACommand.Create(pciDevice, kIODMACommandCreateNoOptions, dmaSpecification);

      const descriptorBufferPhysicalAddressSegment = this.ivars.descriptorTransferDMAs[i]!.PrepareForDMA(kIODMACommandPrepareForDMANoOptions, this.ivars.descriptorTransferBuffers[i]!, 0, 0).segments[0]!;

      // Populate the first half of the buffer with data to be written to the 2nd half
      const transferSize = descriptorBufferVirtualAddressSegment.length / 2;
      for (let j = 0; j < transferSize; j++) {
        descriptorBufferVirtualAddressSegment[j] = j % 0xff;
      }

      // setup the descriptor in the ring
      const destination = descriptorBufferPhysicalAddressSegment.address + BigInt(transferSize);
      writeDMAStandardDescriptor(descriptorRing, i, {
        transferSize: transferSize & 0x7ffffff,
        descriptorFormat: 0,
        holdWriteAddressConstant: 0,
        holdReadAddressConstant: 0,
        descriptorValid: 1,
        lowerSourceAddress: Number(descriptorBufferPhysicalAddressSegment.address & 0xffffffffn),
        upperSourceAddress: Number((descriptorBufferPhysicalAddressSegment.address >> 32n) & 0xffffn),
        lowerDestinationAddress: Number(destination & 0xffffffffn),
        upperDestinationAddress: Number((destination >> 32n) & 0xffffn),
        // interrupt when the last descriptor is done
        interruptWhenDoneWithDescriptor: i === numDescriptors - 1 ? 1 : 0,
      });
    }

    pciDevice.ConfigurationWrite32(cap + kPEX8733DMAChannelDescriptorRingRingSizeOffset, numDescriptors);
    pciDevice.ConfigurationWrite32(cap + kPEX8733DMAChannelMaximumPrefetchLimitOffset, kPEX8733DefaultDMADescriptorPrefetchLimit);

    let interruptControlStatus = pciDevice.ConfigurationRead32(cap + kPEX8733DMAChannelInterruptControlStatusRegisterOffset);

    // clear interrupts (clear on write)
    interruptControlStatus |= kPEX8733DMAChannelInterruptControlStatusInterruptStatusRange;

    // enable interrupts
    interruptControlStatus |= kPEX8733DMAChannelInterruptControlStatusEnableRange;

    pciDevice.ConfigurationWrite32(cap + kPEX8733DMAChannelInterruptControlStatusRegisterOffset, interruptControlStatus);

    // Enable DMA Block Mode, disable descriptor completion status writeback, and clear any active status bits
    let controlStatus = pciDevice.ConfigurationRead32(cap + kPEX8733DMAChannelControlStatusRegisterOffset);

    controlStatus &= ~kPEX8733DMAChannelControlStatusDescriptorModeSelectRange;
    controlStatus &= ~kPEX8733DMAChannelControlStatusCompletionStatusWriteBackEnable;
    controlStatus |= kPEX8733DMAChannelControlStatusStart | kPEX8733DMAChannelControlStatusRingStopMode | kPEX8733DMAChannelControlStatusDescriptorModeSelectOffChip;

    // clear any active status bits
    controlStatus |= kPEX8733DMAChannelControlStatusRange;

    // start DMA transfer
    pciDevice.ConfigurationWrite32(cap + kPEX8733DMAChannelControlStatusRegisterOffset, controlStatus);
  }
}
