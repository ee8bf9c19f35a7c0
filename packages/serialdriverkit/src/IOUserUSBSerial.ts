import { IOReturnError, OSDynamicCast, isIOReturnError, kIOMemoryDirectionIn, kIOMemoryDirectionOut, kIOReturnAborted, kIOReturnNoDevice, kIOReturnNotReady, kIOReturnUnsupported, type IOBufferMemoryDescriptor, type IOService } from '@driverkit/driverkit';
import {
  IOUSBGetEndpointAddress,
  IOUSBGetEndpointDirection,
  IOUSBGetEndpointType,
  IOUSBGetNextAssociatedDescriptor,
  IOUSBGetNextEndpointDescriptor,
  IOUSBGetNextInterfaceDescriptor,
  IOUSBHostDevice,
  IOUSBHostInterface,
  kIOUSBEndpointDirectionIn,
  kIOUSBEndpointTypeBulk,
  kIOUSBEndpointTypeInterrupt,
  kUSBHostReturnPipeStalled,
  type IOUSBConfigurationDescriptor,
  type IOUSBHostPipe,
  type IOUSBInterfaceDescriptor,
} from '@driverkit/usbdriverkit';
import { IOUserSerial } from './IOUserSerial';

// CDC 1.2 §5.2.3: the union functional descriptor names a communication interface's data interface.
const CS_INTERFACE = 0x24;
const CDC_UNION = 0x06;
const kUSBCommunicationsClass = 0x02;
const kUSBCommunicationDataClass = 0x0a;
/** Bytes a bulk OUT transfer carries at most; the TX ring is drained in pieces this size. */
const kMaxTxTransfer = 16384;

/** The interfaces a USB serial port uses: where class requests go, and which holds the data pipes. */
export interface IOUSBSerialInterfaces {
  control: IOUSBHostInterface;
  data: IOUSBHostInterface;
}

/**
 * Mirrors `IOUserUSBSerial`: an IOUserSerial whose UART sits behind USB. It runs the pipes itself:
 * bulk OUT sends what the TX ring holds (`TxDataAvailable`), a bulk IN read is kept in flight and
 * what it brings goes through `handleRxPacket` into the RX ring, and an interrupt IN read (when the
 * device has one) goes to `handleInterruptPacket` (modem status, usually). Subclasses program the
 * chip in the Hw* hooks with class or vendor requests on {@link controlInterface}.
 *
 * On an IOUSBHostInterface it uses that interface's endpoints (CP210x, CH34x, FTDI chips). On an
 * IOUSBHostDevice it finds a CDC communication interface and, through its union descriptor, the data
 * interface (CDC-ACM), or else the first interface with bulk endpoints; override `selectInterfaces`
 * to choose otherwise.
 */
export class IOUserUSBSerial extends IOUserSerial {
  static override readonly className: string = 'IOUserUSBSerial';
  #device: IOUSBHostDevice | null = null;
  #opened: IOUSBHostInterface[] = [];
  #control: IOUSBHostInterface | null = null;
  #bulkIn: IOUSBHostPipe | null = null;
  #bulkOut: IOUSBHostPipe | null = null;
  #interruptIn: IOUSBHostPipe | null = null;
  #inBuffer: IOBufferMemoryDescriptor | null = null;
  #interruptBuffer: IOBufferMemoryDescriptor | null = null;
  #outBuffer: IOBufferMemoryDescriptor | null = null;
  /** Received bytes the RX ring had no room for; the bulk IN read waits until they are in. */
  #rxHeld: Uint8Array | null = null;
  #resumeRead: (() => void) | null = null;
  #sending = false;
  #stopping = false;

  override async Start(provider: IOService): Promise<void> {
    // Apple declares TxDataAvailable final here: this class owns the bulk OUT pipe the TX ring drains to.
    if (this.TxDataAvailable !== IOUserUSBSerial.prototype.TxDataAvailable) {
      throw new IOReturnError(kIOReturnUnsupported, `${this.getName()}: TxDataAvailable is final in IOUserUSBSerial (it sends the TX ring on the bulk OUT pipe); a driver that sends its own way subclasses IOUserSerial`);
    }
    // The pipes first: IOUserSerial's Start activates and programs the hardware through them.
    await this.#attach(provider);
    try {
      await super.Start(provider);
    } catch (e) {
      await this.#detach();
      throw e;
    }
    void this.#readLoop(this.#bulkIn!, this.#inBuffer!, (bytes) => this.#received(bytes));
    if (this.#interruptIn) void this.#readLoop(this.#interruptIn, this.#interruptBuffer!, (bytes) => this.handleInterruptPacket(bytes));
  }

  /** The interface class and vendor requests go to (a CDC device's communication interface). */
  get controlInterface(): IOUSBHostInterface {
    if (!this.#control) throw new IOReturnError(kIOReturnNotReady, `${this.getName()} has no USB interface open`);
    return this.#control;
  }

  /**
   * On a device: picks the control and data interfaces. The default takes a CDC communication
   * interface and the data interface its union descriptor names, else the first interface with bulk
   * IN and OUT endpoints for both.
   */
  selectInterfaces(configuration: IOUSBConfigurationDescriptor, interfaces: readonly IOUSBHostInterface[]): IOUSBSerialInterfaces | null {
    const byNumber = (n: number) => interfaces.find((i) => i.GetInterfaceDescriptor(configuration).bInterfaceNumber === n);
    for (let d = IOUSBGetNextInterfaceDescriptor(configuration, null); d; d = IOUSBGetNextInterfaceDescriptor(configuration, d)) {
      if (d.bInterfaceClass !== kUSBCommunicationsClass) continue;
      const dataNumber = unionDataInterface(configuration, d);
      const control = byNumber(d.bInterfaceNumber);
      const data = dataNumber === null ? undefined : byNumber(dataNumber);
      if (control && data && data.GetInterfaceDescriptor(configuration).bInterfaceClass === kUSBCommunicationDataClass) return { control, data };
    }
    for (const i of interfaces) {
      const pipes = bulkEndpoints(configuration, i.GetInterfaceDescriptor(configuration));
      if (pipes.in !== null && pipes.out !== null) return { control: i, data: i };
    }
    return null;
  }

  /** Mirrors `handleRxPacket(packet, size)`: strips or transforms what a bulk IN read brought (a status header, say). The default keeps it. */
  handleRxPacket(packet: Uint8Array): Uint8Array {
    return packet;
  }

  /** Mirrors `handleInterruptPacket(packet, size)`: what the interrupt IN endpoint reported. The default ignores it. */
  handleInterruptPacket(_packet: Uint8Array): void {}

  /** Sends the TX ring's bytes on bulk OUT, until it is empty. Final, as Apple declares it: Start refuses a subclass that overrides it. */
  override async TxDataAvailable(): Promise<void> {
    if (this.#sending || !this.#bulkOut || !this.#outBuffer) return;
    this.#sending = true;
    try {
      for (;;) {
        const bytes = this.dequeueTxData(kMaxTxTransfer);
        if (bytes.length === 0) break;
        // The CPU fills an OUT buffer through its bytes (writeBytes is the device's side of the copy),
        // which span its length: set that first.
        this.#outBuffer.SetLength(bytes.length);
        this.#outBuffer.GetBytes().set(bytes);
        await this.#bulkOut.IO(this.#outBuffer, bytes.length);
      }
    } catch (e) {
      if (!this.#stopping) throw e;
    } finally {
      this.#sending = false;
    }
  }

  override RxFreeSpaceAvailable(): void {
    const held = this.#rxHeld;
    if (!held) return;
    const n = this.enqueueRxData(held);
    this.#rxHeld = n < held.length ? held.subarray(n) : null;
    if (!this.#rxHeld) {
      this.#resumeRead?.();
      this.#resumeRead = null;
    }
  }

  async #received(packet: Uint8Array): Promise<void> {
    const bytes = this.handleRxPacket(packet);
    if (bytes.length === 0) return;
    const n = this.enqueueRxData(bytes);
    if (n === bytes.length) return;
    // No room: hold the rest and read no more until the application catches up (no bytes are dropped).
    this.#rxHeld = bytes.subarray(n);
    await new Promise<void>((resolve) => (this.#resumeRead = resolve));
  }

  async #readLoop(pipe: IOUSBHostPipe, buffer: IOBufferMemoryDescriptor, deliver: (bytes: Uint8Array) => void | Promise<void>): Promise<void> {
    const length = Number(buffer.GetLength());
    while (!this.#stopping) {
      try {
        const n = await pipe.IO(buffer, length);
        await deliver(buffer.readBytes(0, n));
      } catch (e) {
        const code = isIOReturnError(e) ? e.code : 0;
        if (this.#stopping || code === kIOReturnAborted || code === kIOReturnNoDevice) return;
        if (code === kUSBHostReturnPipeStalled) {
          await pipe.ClearStall(true).catch(() => {});
          continue;
        }
        // Anything else would fail again at once: say so and stop, rather than spin on it.
        process.stderr.write(`${this.getName()}: reading endpoint 0x${pipe.descriptors.descriptor.bEndpointAddress.toString(16)} failed, no longer reading it: ${e instanceof Error ? e.message : String(e)}\n`);
        return;
      }
    }
  }

  async #attach(provider: IOService): Promise<void> {
    let interfaces: IOUSBSerialInterfaces | null;
    let configuration: IOUSBConfigurationDescriptor;
    const iface = OSDynamicCast(IOUSBHostInterface, provider);
    if (iface) {
      await iface.Open(this, 0, 0);
      this.#opened.push(iface);
      configuration = await iface.CopyConfigurationDescriptor();
      interfaces = { control: iface, data: iface };
    } else {
      const device = OSDynamicCast(IOUSBHostDevice, provider);
      if (!device) throw new IOReturnError(kIOReturnUnsupported, `${this.getName()}: the provider ${provider.getName()} is neither an IOUSBHostInterface nor an IOUSBHostDevice`);
      await device.Open(this, 0, 0);
      this.#device = device;
      configuration = await device.CopyConfigurationDescriptor(this);
      const iterator = await device.CreateInterfaceIterator();
      const all: IOUSBHostInterface[] = [];
      for (let i = device.CopyInterface(iterator); i; i = device.CopyInterface(iterator)) all.push(i);
      device.DestroyInterfaceIterator(iterator);
      interfaces = this.selectInterfaces(configuration, all);
      if (!interfaces) {
        await this.#detach();
        throw new IOReturnError(kIOReturnUnsupported, `${provider.getName()} has no CDC communication and data interfaces and no interface with bulk IN and OUT endpoints`);
      }
      for (const i of new Set([interfaces.control, interfaces.data])) {
        await i.Open(this, 0, 0);
        this.#opened.push(i);
      }
    }
    this.#control = interfaces.control;
    const data = interfaces.data.GetInterfaceDescriptor(configuration);
    const bulk = bulkEndpoints(configuration, data);
    if (bulk.in === null || bulk.out === null) {
      await this.#detach();
      throw new IOReturnError(kIOReturnUnsupported, `${provider.getName()}: interface ${data.bInterfaceNumber} lacks a bulk ${bulk.in === null ? 'IN' : 'OUT'} endpoint`);
    }
    this.#bulkIn = await interfaces.data.CopyPipe(bulk.in);
    this.#bulkOut = await interfaces.data.CopyPipe(bulk.out);
    this.#inBuffer = interfaces.data.CreateIOBuffer(kIOMemoryDirectionIn, 512);
    this.#outBuffer = interfaces.data.CreateIOBuffer(kIOMemoryDirectionOut, kMaxTxTransfer);
    const control = interfaces.control.GetInterfaceDescriptor(configuration);
    for (let e = IOUSBGetNextEndpointDescriptor(configuration, control, null); e; e = IOUSBGetNextEndpointDescriptor(configuration, control, e)) {
      if (IOUSBGetEndpointType(e) === kIOUSBEndpointTypeInterrupt && IOUSBGetEndpointDirection(e) === kIOUSBEndpointDirectionIn) {
        this.#interruptIn = await interfaces.control.CopyPipe(IOUSBGetEndpointAddress(e));
        this.#interruptBuffer = interfaces.control.CreateIOBuffer(kIOMemoryDirectionIn, e.wMaxPacketSize & 0x7ff);
        break;
      }
    }
  }

  async #detach(): Promise<void> {
    for (const p of [this.#bulkIn, this.#bulkOut, this.#interruptIn]) await p?.Abort().catch(() => {});
    for (const p of [this.#bulkIn, this.#bulkOut, this.#interruptIn]) p?.release();
    for (const b of [this.#inBuffer, this.#outBuffer, this.#interruptBuffer]) b?.release();
    this.#bulkIn = this.#bulkOut = this.#interruptIn = null;
    this.#inBuffer = this.#outBuffer = this.#interruptBuffer = null;
    for (const i of this.#opened.splice(0)) await i.Close(this).catch(() => {});
    await this.#device?.Close(this).catch(() => {});
    this.#device = null;
    this.#control = null;
  }

  override async Stop(provider: IOService): Promise<void> {
    this.#stopping = true;
    this.#resumeRead?.();
    await super.Stop(provider);
    await this.#detach();
  }
}

/** The data interface a CDC communication interface's union descriptor names, or null. */
function unionDataInterface(configuration: IOUSBConfigurationDescriptor, comm: IOUSBInterfaceDescriptor): number | null {
  for (let d = IOUSBGetNextAssociatedDescriptor(configuration, comm, null); d; d = IOUSBGetNextAssociatedDescriptor(configuration, comm, d)) {
    if (d.bDescriptorType === CS_INTERFACE && d.raw[2] === CDC_UNION && d.bLength >= 5) return d.raw[4]!;
  }
  return null;
}

function bulkEndpoints(configuration: IOUSBConfigurationDescriptor, i: IOUSBInterfaceDescriptor): { in: number | null; out: number | null } {
  const found = { in: null as number | null, out: null as number | null };
  for (let e = IOUSBGetNextEndpointDescriptor(configuration, i, null); e; e = IOUSBGetNextEndpointDescriptor(configuration, i, e)) {
    if (IOUSBGetEndpointType(e) !== kIOUSBEndpointTypeBulk) continue;
    if (IOUSBGetEndpointDirection(e) === kIOUSBEndpointDirectionIn) found.in ??= IOUSBGetEndpointAddress(e);
    else found.out ??= IOUSBGetEndpointAddress(e);
  }
  return found;
}
