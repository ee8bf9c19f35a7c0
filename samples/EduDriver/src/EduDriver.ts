// EduDriver: a PCIDriverKit driver for QEMU's educational PCI device (docs/specs/edu.rst), written the
// way Apple's PCI sample (PCIDriverKitPEX8733) drives its hardware: Open the IOPCIDevice, set bus lead
// and memory space in the command register, take MSI on interrupt index 1, and DMA through
// IODMACommand. Its user client (EduDriverUserClient) lets an app ask for a factorial, a DMA round
// trip and the interrupt count. The same code runs on the virtual edu model and on QEMU's real device.

import {
  IOBufferMemoryDescriptor,
  IODMACommand,
  IOInterruptDispatchSource,
  IOReturnError,
  IOService,
  OSAction,
  OSDynamicCast,
  kIODMACommandCreateNoOptions,
  kIODMACommandPrepareForDMANoOptions,
  kIODMACommandSpecificationNoOptions,
  kIOMemoryDirectionInOut,
  kIOReturnAborted,
  kIOReturnBadArgument,
  kIOReturnNoDevice,
  kIOReturnTimeout,
  type IODispatchQueue,
} from '@driverkit/driverkit';
import { IOPCIDevice, kIOPCICommandBusLead, kIOPCICommandMemorySpace, kIOPCIConfigurationOffsetCommand } from '@driverkit/pcidriverkit';
import { kEduDMABufferSize } from './EduDriverShared';

export { EduDriverUserClient } from './EduDriverUserClient';

const Log = (message: string) => console.log(`EduDriver - ${message}`);

// The device's registers (BAR0), as edu.rst names them.
const kEduMemoryIndex = 0;
const kEduMSIInterruptIndex = 1;
const kEduRegisterIdentification = 0x00;
const kEduRegisterLiveness = 0x04;
const kEduRegisterFactorial = 0x08;
const kEduRegisterStatus = 0x20;
const kEduRegisterInterruptStatus = 0x24;
const kEduRegisterInterruptAcknowledge = 0x64;
const kEduRegisterDMASource = 0x80;
const kEduRegisterDMADestination = 0x88;
const kEduRegisterDMACount = 0x90;
const kEduRegisterDMACommand = 0x98;
const kEduStatusInterruptOnFactorial = 0x80;
const kEduInterruptFactorial = 0x00000001;
const kEduInterruptDMA = 0x00000100;
const kEduDMACommandStart = 0x1;
const kEduDMACommandToRAM = 0x2;
const kEduDMACommandInterrupt = 0x4;
const kEduDMADeviceBuffer = 0x40000n;
const kEduDMAAddressBits = 28;
// QEMU's DMA timer is 100 ms; a device that has not answered in two seconds is not coming back.
const kEduTimeoutMs = 2000;

interface EduDriver_IVars {
  pciDevice: IOPCIDevice | null;
  interruptSource: IOInterruptDispatchSource | null;
  defaultQueue: IODispatchQueue | null;
  interruptCount: bigint;
  identification: number;
  /** What each awaited interrupt bit wakes (with an error when the driver stops first). */
  waiting: Map<number, (error?: IOReturnError) => void>;
  /** The device does one computation or transfer at a time. */
  busy: Promise<unknown>;
}

export class EduDriver extends IOService {
  ivars!: EduDriver_IVars;

  override init(): boolean {
    if (!super.init()) return false;
    this.ivars = { pciDevice: null, interruptSource: null, defaultQueue: null, interruptCount: 0n, identification: 0, waiting: new Map(), busy: Promise.resolve() };
    return true;
  }

  override async Start(provider: IOService): Promise<void> {
    await super.Start(provider);

    this.ivars.pciDevice = OSDynamicCast(IOPCIDevice, provider);
    if (this.ivars.pciDevice === null) throw new IOReturnError(kIOReturnNoDevice, `EduDriver: ${provider.getName()} is not an IOPCIDevice`);
    this.ivars.pciDevice.retain();
    await this.ivars.pciDevice.Open(this, 0);

    Log('Start() - enabling bus lead and memory space');
    const command = this.ivars.pciDevice.ConfigurationRead16(kIOPCIConfigurationOffsetCommand);
    this.ivars.pciDevice.ConfigurationWrite16(kIOPCIConfigurationOffsetCommand, command | kIOPCICommandBusLead | kIOPCICommandMemorySpace);

    this.ivars.identification = this.ivars.pciDevice.MemoryRead32(kEduMemoryIndex, kEduRegisterIdentification);
    if ((this.ivars.identification & 0xff) !== 0xed) throw new IOReturnError(kIOReturnNoDevice, `EduDriver: identification register reads 0x${this.ivars.identification.toString(16)}, not an edu device`);
    this.ivars.pciDevice.MemoryWrite32(kEduMemoryIndex, kEduRegisterLiveness, 0x5a5aa5a5);
    if (this.ivars.pciDevice.MemoryRead32(kEduMemoryIndex, kEduRegisterLiveness) !== (~0x5a5aa5a5 >>> 0)) throw new IOReturnError(kIOReturnNoDevice, 'EduDriver: the liveness check failed');

    this.ivars.defaultQueue = this.CopyDispatchQueue('Default') as IODispatchQueue;
    this.ivars.interruptSource = IOInterruptDispatchSource.Create(this.ivars.pciDevice, kEduMSIInterruptIndex, this.ivars.defaultQueue);
    const action = OSAction.Create(this, 'InterruptOccurred');
    this.ivars.interruptSource.SetHandler(action);
    action.release();
    this.ivars.interruptSource.SetEnable(true);

    Log(`Start() - edu ${this.ivars.identification >>> 24}.${(this.ivars.identification >>> 16) & 0xff} ready, MSI on interrupt index ${kEduMSIInterruptIndex}`);
    this.RegisterService();
  }

  override async Stop(provider: IOService): Promise<void> {
    Log('Stop()');
    this.ivars.interruptSource?.Cancel();
    for (const wake of this.ivars.waiting.values()) wake(new IOReturnError(kIOReturnAborted, 'EduDriver: the driver is stopping'));
    this.ivars.waiting.clear();
    if (this.ivars.pciDevice !== null) {
      const command = this.ivars.pciDevice.ConfigurationRead16(kIOPCIConfigurationOffsetCommand);
      this.ivars.pciDevice.ConfigurationWrite16(kIOPCIConfigurationOffsetCommand, command & ~(kIOPCICommandBusLead | kIOPCICommandMemorySpace));
      await this.ivars.pciDevice.Close(this, 0);
    }
    await super.Stop(provider);
  }

  // When an app opens the driver with IOServiceOpen: its user client, from UserClientProperties.
  override async NewUserClient(_type: number): Promise<IOService> {
    return this.Create(this, 'UserClientProperties');
  }

  override free(): void {
    this.ivars?.interruptSource?.release();
    this.ivars?.defaultQueue?.release();
    this.ivars?.pciDevice?.release();
    super.free();
  }

  // What the device raised goes in the interrupt status register; acknowledging clears it.
  InterruptOccurred(_action: OSAction, count: bigint, _time: bigint): void {
    const pci = this.ivars.pciDevice!;
    const status = pci.MemoryRead32(kEduMemoryIndex, kEduRegisterInterruptStatus);
    pci.MemoryWrite32(kEduMemoryIndex, kEduRegisterInterruptAcknowledge, status);
    this.ivars.interruptCount += count;
    for (const [bit, wake] of this.ivars.waiting) {
      if (status & bit) {
        this.ivars.waiting.delete(bit);
        wake();
      }
    }
  }

  /** Interrupts handled since Start, and the identification register. */
  GetStatus(): { interruptCount: bigint; identification: number } {
    return { interruptCount: this.ivars.interruptCount, identification: this.ivars.identification };
  }

  /** What the liveness register returns for `value` (its bitwise inverse, on a live device). */
  CheckLiveness(value: number): number {
    this.ivars.pciDevice!.MemoryWrite32(kEduMemoryIndex, kEduRegisterLiveness, value);
    return this.ivars.pciDevice!.MemoryRead32(kEduMemoryIndex, kEduRegisterLiveness);
  }

  /** n! as the device computes it (in 32 bits), woken by its factorial interrupt. */
  Factorial(n: number): Promise<number> {
    return this.#exclusive(async () => {
      const pci = this.ivars.pciDevice!;
      pci.MemoryWrite32(kEduMemoryIndex, kEduRegisterStatus, kEduStatusInterruptOnFactorial);
      const done = this.#interrupt(kEduInterruptFactorial, 'factorial');
      pci.MemoryWrite32(kEduMemoryIndex, kEduRegisterFactorial, n);
      await done;
      return pci.MemoryRead32(kEduMemoryIndex, kEduRegisterFactorial);
    });
  }

  /**
   * Sends `data` (at most 4 KiB) to the device's buffer by DMA and reads it back by DMA into a
   * second buffer, which it returns: what the device saw, byte for byte.
   */
  DMARoundTrip(data: Uint8Array): Promise<Uint8Array> {
    if (data.length === 0 || data.length > kEduDMABufferSize) throw new IOReturnError(kIOReturnBadArgument, `EduDriver: a DMA round trip takes 1 to ${kEduDMABufferSize} bytes, not ${data.length}`);
    return this.#exclusive(async () => {
      const pci = this.ivars.pciDevice!;
      const buffer = IOBufferMemoryDescriptor.Create(kIOMemoryDirectionInOut, 2 * kEduDMABufferSize, kEduDMABufferSize);
      buffer.SetLength(2 * kEduDMABufferSize);
      buffer.GetBytes().set(data);
      const dma = IODMACommand.Create(pci, kIODMACommandCreateNoOptions, { options: kIODMACommandSpecificationNoOptions, maxAddressBits: kEduDMAAddressBits });
      try {
        const { segments } = dma.PrepareForDMA(kIODMACommandPrepareForDMANoOptions, buffer, 0, 2 * kEduDMABufferSize);
        const bus = segments[0]!.address;
        await this.#transfer(bus, kEduDMADeviceBuffer, data.length, 0);
        await this.#transfer(kEduDMADeviceBuffer, bus + BigInt(kEduDMABufferSize), data.length, kEduDMACommandToRAM);
        return buffer.GetBytes().slice(kEduDMABufferSize, kEduDMABufferSize + data.length);
      } finally {
        dma.CompleteDMA();
        dma.release();
        buffer.release();
      }
    });
  }

  async #transfer(source: bigint, destination: bigint, count: number, direction: number): Promise<void> {
    const pci = this.ivars.pciDevice!;
    pci.MemoryWrite64(kEduMemoryIndex, kEduRegisterDMASource, source);
    pci.MemoryWrite64(kEduMemoryIndex, kEduRegisterDMADestination, destination);
    pci.MemoryWrite64(kEduMemoryIndex, kEduRegisterDMACount, BigInt(count));
    const done = this.#interrupt(kEduInterruptDMA, 'DMA');
    pci.MemoryWrite64(kEduMemoryIndex, kEduRegisterDMACommand, BigInt(kEduDMACommandStart | direction | kEduDMACommandInterrupt));
    await done;
  }

  // Resolves when the interrupt with this status bit arrives; a device that stays silent is a timeout.
  #interrupt(bit: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.ivars.waiting.delete(bit);
        reject(new IOReturnError(kIOReturnTimeout, `EduDriver: no ${what} interrupt within ${kEduTimeoutMs} ms`));
      }, kEduTimeoutMs);
      this.ivars.waiting.set(bit, (error) => {
        clearTimeout(timer);
        if (error) reject(error);
        else resolve();
      });
    });
  }

  #exclusive<T>(work: () => Promise<T>): Promise<T> {
    const next = this.ivars.busy.then(work, work);
    this.ivars.busy = next.catch(() => {});
    return next;
  }
}
