import type { USBPortState } from '../USBBackend';
import {
  IOReturnError,
  kIOReturnNoDevice,
  kIOReturnOverrun,
  kIOReturnSuccess,
  kIOReturnTimeout,
  kIOReturnUnsupported,
} from '@driverkit/driverkit';
import { buildConfigurationDescriptor, buildDeviceDescriptor, buildLanguageDescriptor, buildStringDescriptor, type USBConfigurationFields, type USBDeviceDescriptorFields } from '../../descriptors/USBDescriptorBuilder';
import {
  kIOUSBDescriptorTypeBOS,
  kIOUSBDescriptorTypeConfiguration,
  kIOUSBDescriptorTypeDevice,
  kIOUSBDescriptorTypeString,
  kIOUSBDeviceRequestClearFeature,
  kIOUSBDeviceRequestGetConfiguration,
  kIOUSBDeviceRequestGetDescriptor,
  kIOUSBDeviceRequestGetInterface,
  kIOUSBDeviceRequestGetStatus,
  kIOUSBDeviceRequestSetConfiguration,
  kIOUSBDeviceRequestSetInterface,
  kIOUSBHostConnectionSpeedFull,
  kUSBHostReturnPipeStalled,
} from '../../descriptors/USBConstants';
import { IOUSBEndpointInterfaces, IOUSBFindInterfaceDescriptor, parseConfigurationDescriptor, parseDeviceDescriptor, type IOUSBConfigurationDescriptor } from '../../descriptors/USBDescriptors';
import { VirtualUSBDeviceHandle } from './VirtualUSBDeviceHandle';
import type { USBDeviceInfo, USBIsochResult, USBSetupPacket, USBTransferResult } from '../USBBackend';

type Maybe<T> = T | Promise<T>;

/**
 * A virtual device: its descriptors, plus handlers for what the standard requests do not cover.
 * Standard requests (descriptors, configuration, interface, status, halt) are answered by the device itself.
 */
export interface VirtualUSBDeviceModel {
  device: USBDeviceDescriptorFields | Uint8Array;
  configurations: Array<USBConfigurationFields | Uint8Array>;
  /** String descriptors by index (1…); index 0 is the language list. */
  strings?: Record<number, string>;
  languages?: number[];
  bos?: Uint8Array;
  /** kIOUSBHostConnectionSpeed*; full speed by default. */
  speed?: number;
  /** False leaves the device unconfigured when plugged in; by default it comes up in its first configuration, as Linux enumerates. */
  configured?: boolean;
  /** Class and vendor requests (and standard ones the device leaves to the model): IN data, true to acknowledge, null to stall. */
  control?(setup: USBSetupPacket, data: Uint8Array | null, device: VirtualUSBDevice): Maybe<Uint8Array | boolean | null>;
  /** Data the host sent to an OUT endpoint; false stalls the endpoint. */
  out?(endpointAddress: number, data: Uint8Array, device: VirtualUSBDevice): Maybe<void | boolean>;
  /**
   * An IN transfer of up to `length` bytes: the bytes, null to stall, or undefined to wait for
   * {@link VirtualUSBDevice.send} (a NAK). Answer at once: a device that needs time returns
   * undefined and sends later, so Abort and unplug can end the wait.
   */
  in?(endpointAddress: number, length: number, device: VirtualUSBDevice): Maybe<Uint8Array | null | undefined>;
  /** Isochronous IN: one packet per requested frame. */
  isochIn?(endpointAddress: number, frameLengths: number[], device: VirtualUSBDevice): Maybe<Uint8Array[]>;
  /** Isochronous OUT: the packets of one transfer. */
  isochOut?(endpointAddress: number, frames: Uint8Array[], device: VirtualUSBDevice): Maybe<void>;
}

/** @internal A transfer waiting for IN data. */
export interface Waiter {
  ep: number;
  length: number;
  finish: (r: USBTransferResult) => void;
}

const STALL: USBTransferResult = { status: kUSBHostReturnPipeStalled, length: 0, data: null };

/**
 * A device model on the virtual USB host. Besides answering transfers it lets tests and benches
 * inject what real hardware does: queue IN data (`send`), halt an endpoint (`stall`), stop answering
 * one (`hang`, so transfers time out), and unplug.
 */
export class VirtualUSBDevice {
  readonly deviceDescriptor: Uint8Array;
  readonly configurations: Uint8Array[];
  readonly #parsed: IOUSBConfigurationDescriptor[];
  readonly #strings: Map<number, Uint8Array>;
  readonly speed: number;
  #configuration = 0;
  readonly #alternates = new Map<number, number>();
  readonly #halted = new Set<number>();
  readonly #hung = new Set<number | 'control'>();
  readonly #queues = new Map<number, Uint8Array[]>();
  readonly #waiters = new Map<number, Waiter[]>();
  readonly #handles = new Set<VirtualUSBDeviceHandle>();
  readonly #attachedAt = process.hrtime.bigint();
  #unplugged = false;
  /** Set by the host when attached. */
  id = '';
  address = 0;
  locationID = 0;

  readonly #port = { type: 0, suspended: false, overcurrent: false };

  constructor(readonly model: VirtualUSBDeviceModel) {
    this.deviceDescriptor = model.device instanceof Uint8Array ? model.device : buildDeviceDescriptor({ bNumConfigurations: model.configurations.length, ...model.device });
    parseDeviceDescriptor(this.deviceDescriptor);
    this.configurations = model.configurations.map((c) => (c instanceof Uint8Array ? c : buildConfigurationDescriptor(c)));
    this.#parsed = this.configurations.map((c) => parseConfigurationDescriptor(c));
    this.#strings = new Map(Object.entries(model.strings ?? {}).map(([i, s]) => [Number(i), buildStringDescriptor(s)]));
    this.#strings.set(0, buildLanguageDescriptor(model.languages));
    this.speed = model.speed ?? kIOUSBHostConnectionSpeedFull;
    if (model.configured !== false) this.#configuration = this.#parsed[0]?.bConfigurationValue ?? 0;
  }

  /** The backend's view of the device (also what a nub is published from). */
  info(): USBDeviceInfo {
    const d = parseDeviceDescriptor(this.deviceDescriptor);
    const text = (i: number) => (i && this.#strings.has(i) ? this.model.strings![i] : undefined);
    return {
      id: this.id,
      deviceDescriptor: this.deviceDescriptor,
      configurations: this.configurations,
      activeConfiguration: this.#configuration,
      speed: this.speed,
      address: this.address,
      locationID: this.locationID,
      manufacturer: text(d.iManufacturer),
      product: text(d.iProduct),
      serialNumber: text(d.iSerialNumber),
    };
  }

  get unplugged(): boolean {
    return this.#unplugged;
  }

  get configurationValue(): number {
    return this.#configuration;
  }

  alternateSetting(interfaceNumber: number): number {
    return this.#alternates.get(interfaceNumber) ?? 0;
  }

  /** Queues data the device will return on IN endpoint `endpointAddress`, completing a waiting transfer. */
  send(endpointAddress: number, data: Uint8Array): void {
    if (this.#unplugged) return;
    const waiters = this.#waiters.get(endpointAddress);
    const waiter = waiters?.shift();
    if (waiter) waiter.finish(this.#deliver(data, waiter.length));
    else {
      const q = this.#queues.get(endpointAddress) ?? [];
      q.push(data);
      this.#queues.set(endpointAddress, q);
    }
  }

  /** How many IN transfers on `endpointAddress` wait for data (how a device knows the host is polling). */
  waiting(endpointAddress: number): number {
    return this.#waiters.get(endpointAddress)?.length ?? 0;
  }

  /** Halts an endpoint: pending and new transfers on it stall until the host clears the halt. */
  stall(endpointAddress: number): void {
    this.#halted.add(endpointAddress);
    for (const w of this.#waiters.get(endpointAddress)?.splice(0) ?? []) w.finish(STALL);
  }

  /** Stops answering `endpoint` (or control requests): transfers wait for their timeout. */
  hang(endpoint: number | 'control', hung = true): void {
    if (hung) this.#hung.add(endpoint);
    else this.#hung.delete(endpoint);
  }

  /** Unplugs the device: every pending transfer completes with kIOReturnNoDevice, every handle dies. */
  unplug(): void {
    if (this.#unplugged) return;
    this.#unplugged = true;
    for (const waiters of this.#waiters.values()) for (const w of waiters.splice(0)) w.finish({ status: kIOReturnNoDevice, length: 0, data: null });
    for (const h of this.#handles) h.unplugged();
  }

  open(): VirtualUSBDeviceHandle {
    if (this.#unplugged) throw new IOReturnError(kIOReturnNoDevice, `virtual USB device ${this.id} is unplugged`);
    const h = new VirtualUSBDeviceHandle(this);
    this.#handles.add(h);
    return h;
  }

  /** @internal */
  closed(h: VirtualUSBDeviceHandle): void {
    this.#handles.delete(h);
  }

  /** @internal */
  /** The hub port's state, as a model or a test sets it (a suspended port, an overcurrent, a captive device). */
  setPortState(state: Partial<Omit<USBPortState, 'resetting'>>): void {
    Object.assign(this.#port, state);
  }

  portState(): USBPortState {
    return { ...this.#port, resetting: false };
  }

  frameNumber(): { frame: bigint; time: bigint } {
    const now = process.hrtime.bigint();
    return { frame: (now - this.#attachedAt) / 1_000_000n, time: now };
  }

  #deliver(data: Uint8Array, length: number): USBTransferResult {
    // A device that sends more than the host asked for babbles: the host keeps what fits.
    if (data.length > length) return { status: kIOReturnOverrun, length, data: data.subarray(0, length) };
    return { status: kIOReturnSuccess, length: data.length, data };
  }

  #activeConfiguration(): IOUSBConfigurationDescriptor | undefined {
    return this.#parsed.find((c) => c.bConfigurationValue === this.#configuration);
  }

  #endpointInterfaces: Map<number, number> | null = null;

  /** The interface number an endpoint belongs to in the active configuration's current settings, or undefined. */
  interfaceOfEndpoint(endpointAddress: number): number | undefined {
    this.#endpointInterfaces ??= IOUSBEndpointInterfaces(this.#activeConfiguration() ?? null, (n: number) => this.alternateSetting(n));
    return this.#endpointInterfaces.get(endpointAddress);
  }

  /** Whether the active configuration has the interface (in `alternateSetting`; every interface has setting 0). */
  hasInterface(interfaceNumber: number, alternateSetting = 0): boolean {
    const cfg = this.#activeConfiguration();
    return cfg !== undefined && IOUSBFindInterfaceDescriptor(cfg, interfaceNumber, alternateSetting) !== null;
  }

  /** @internal A control transfer, standard requests answered here. */
  async control(setup: USBSetupPacket, data: Uint8Array | null, timeoutMs: number): Promise<USBTransferResult> {
    if (this.#hung.has('control')) return this.#never(timeoutMs);
    const standard = (setup.bmRequestType & 0x60) === 0;
    const recipient = setup.bmRequestType & 0x1f;
    if (standard) {
      const answer = this.#standard(setup, recipient);
      if (answer !== undefined) return this.#controlResult(setup, answer);
    }
    const r = this.model.control ? await this.model.control(setup, data, this) : null;
    return this.#controlResult(setup, r, data);
  }

  #controlResult(setup: USBSetupPacket, r: Uint8Array | boolean | null, dataOut: Uint8Array | null = null): USBTransferResult {
    if (r === null || r === false) return STALL;
    if (r === true) return { status: kIOReturnSuccess, length: dataOut?.length ?? 0, data: setup.bmRequestType & 0x80 ? new Uint8Array(0) : null };
    const n = Math.min(r.length, setup.wLength);
    return { status: kIOReturnSuccess, length: n, data: r.subarray(0, n) };
  }

  // undefined: not a request the device answers itself.
  #standard(s: USBSetupPacket, recipient: number): Uint8Array | boolean | null | undefined {
    switch (s.bRequest) {
      case kIOUSBDeviceRequestGetDescriptor: {
        if (recipient !== 0) return undefined;
        const type = s.wValue >> 8;
        const index = s.wValue & 0xff;
        if (type === kIOUSBDescriptorTypeDevice) return this.deviceDescriptor;
        if (type === kIOUSBDescriptorTypeConfiguration) return this.configurations[index] ?? null;
        if (type === kIOUSBDescriptorTypeString) return this.#strings.get(index) ?? null;
        if (type === kIOUSBDescriptorTypeBOS) return this.model.bos ?? null;
        return undefined;
      }
      case kIOUSBDeviceRequestSetConfiguration: {
        const value = s.wValue & 0xff;
        if (value !== 0 && !this.#parsed.some((c) => c.bConfigurationValue === value)) return null;
        this.#configuration = value;
        this.#alternates.clear();
        this.#endpointInterfaces = null;
        this.#halted.clear();
        return true;
      }
      case kIOUSBDeviceRequestGetConfiguration:
        return Uint8Array.of(this.#configuration);
      case kIOUSBDeviceRequestSetInterface:
        if (!this.hasInterface(s.wIndex, s.wValue)) return null;
        this.#alternates.set(s.wIndex, s.wValue);
        this.#endpointInterfaces = null;
        return true;
      case kIOUSBDeviceRequestGetInterface:
        return this.hasInterface(s.wIndex) ? Uint8Array.of(this.alternateSetting(s.wIndex)) : null;
      case kIOUSBDeviceRequestGetStatus:
        return recipient === 2 ? Uint8Array.of(this.#halted.has(s.wIndex & 0xff) ? 1 : 0, 0) : Uint8Array.of(0, 0);
      case kIOUSBDeviceRequestClearFeature:
        if (recipient === 2 && s.wValue === 0) {
          this.#halted.delete(s.wIndex & 0xff);
          return true;
        }
        return undefined;
      default:
        return undefined;
    }
  }

  #never(timeoutMs: number): Promise<USBTransferResult> {
    return new Promise((resolve) => {
      if (timeoutMs > 0) setTimeout(() => resolve({ status: kIOReturnTimeout, length: 0, data: null }), timeoutMs);
      else this.#parkForever.push(resolve);
    });
  }

  readonly #parkForever: Array<(r: USBTransferResult) => void> = [];

  /** @internal Ends transfers parked on a hung endpoint with no timeout (abort, unplug). */
  releaseParked(status: number): void {
    for (const r of this.#parkForever.splice(0)) r({ status, length: 0, data: null });
  }

  /** @internal Ends `waiters` on `endpointAddress` (all of them for null) with `status`. */
  abortWaiters(waiters: Set<Waiter>, endpointAddress: number | null, status: number): void {
    for (const w of [...waiters]) if (endpointAddress === null || w.ep === endpointAddress) w.finish({ status, length: 0, data: null });
  }

  /** @internal A bus reset seen from the device: halts and alternate settings are gone, pending transfers end. */
  resetState(): void {
    this.#alternates.clear();
    this.#endpointInterfaces = null;
    this.#halted.clear();
    for (const waiters of this.#waiters.values()) for (const w of waiters.splice(0)) w.finish({ status: kIOReturnNoDevice, length: 0, data: null });
  }

  /** @internal */
  clearHalt(endpointAddress: number): void {
    this.#halted.delete(endpointAddress);
  }

  /**
   * @internal A bulk or interrupt transfer. Not `async`: an IN the model answers at once settles in the
   * promise made here, with no promise per layer (each is paid for under the dispatch queues' hooks).
   */
  transfer(endpointAddress: number, dataOut: Uint8Array | null, lengthIn: number, timeoutMs: number, waiters: Set<Waiter>): Promise<USBTransferResult> {
    if (this.#halted.has(endpointAddress)) return Promise.resolve(STALL);
    if (this.#hung.has(endpointAddress)) return this.#never(timeoutMs);
    if (!(endpointAddress & 0x80)) return this.#out(endpointAddress, dataOut);
    const queued = this.#queues.get(endpointAddress);
    if (queued?.length) return Promise.resolve(this.#deliver(queued.shift()!, lengthIn));
    if (!this.model.in) return this.#wait(endpointAddress, lengthIn, timeoutMs, waiters);
    let answer: Maybe<Uint8Array | null | undefined>;
    try {
      answer = this.model.in(endpointAddress, lengthIn, this);
    } catch (e) {
      return Promise.reject(e);
    }
    if (answer === null || answer === undefined || answer instanceof Uint8Array) return this.#answerIn(endpointAddress, answer, lengthIn, timeoutMs, waiters);
    return Promise.resolve(answer).then((r) => this.#answerIn(endpointAddress, r, lengthIn, timeoutMs, waiters));
  }

  async #out(endpointAddress: number, dataOut: Uint8Array | null): Promise<USBTransferResult> {
    const ok = this.model.out ? await this.model.out(endpointAddress, dataOut ?? new Uint8Array(0), this) : undefined;
    if (ok === false) {
      this.#halted.add(endpointAddress);
      return STALL;
    }
    return { status: kIOReturnSuccess, length: dataOut?.length ?? 0, data: null };
  }

  /** What the model's `in` said: bytes to send, null to stall, undefined to NAK until `send`. */
  #answerIn(endpointAddress: number, r: Uint8Array | null | undefined, lengthIn: number, timeoutMs: number, waiters: Set<Waiter>): Promise<USBTransferResult> {
    if (r === null) {
      this.#halted.add(endpointAddress);
      return Promise.resolve(STALL);
    }
    if (r !== undefined) return Promise.resolve(this.#deliver(r, lengthIn));
    return this.#wait(endpointAddress, lengthIn, timeoutMs, waiters);
  }

  /** Nothing to send yet: the device NAKs until `send`, the timeout, or an abort. */
  #wait(endpointAddress: number, lengthIn: number, timeoutMs: number, waiters: Set<Waiter>): Promise<USBTransferResult> {
    return new Promise((resolve) => {
      const list = this.#waiters.get(endpointAddress) ?? [];
      let timer: NodeJS.Timeout | undefined;
      const waiter: Waiter = {
        ep: endpointAddress,
        length: lengthIn,
        finish: (r) => {
          if (timer) clearTimeout(timer);
          const l = this.#waiters.get(endpointAddress);
          const at = l?.indexOf(waiter) ?? -1;
          if (at >= 0) l!.splice(at, 1);
          waiters.delete(waiter);
          resolve(r);
        },
      };
      if (timeoutMs > 0) timer = setTimeout(() => waiter.finish({ status: kIOReturnTimeout, length: 0, data: null }), timeoutMs);
      list.push(waiter);
      this.#waiters.set(endpointAddress, list);
      waiters.add(waiter);
    });
  }

  /** @internal */
  async isoch(endpointAddress: number, dataOut: Uint8Array | null, frameLengths: number[]): Promise<USBIsochResult> {
    if (endpointAddress & 0x80) {
      if (!this.model.isochIn) throw new IOReturnError(kIOReturnUnsupported, `virtual device ${this.id} has no isochronous IN handler`);
      const packets = await this.model.isochIn(endpointAddress, frameLengths, this);
      const data = new Uint8Array(frameLengths.reduce((a, b) => a + b, 0));
      let offset = 0;
      const frames = frameLengths.map((len, i) => {
        const p = packets[i] ?? new Uint8Array(0);
        const n = Math.min(p.length, len);
        data.set(p.subarray(0, n), offset);
        offset += len;
        return { status: p.length > len ? kIOReturnOverrun : kIOReturnSuccess, length: n };
      });
      return { status: kIOReturnSuccess, frames, data };
    }
    if (!this.model.isochOut) throw new IOReturnError(kIOReturnUnsupported, `virtual device ${this.id} has no isochronous OUT handler`);
    const bytes = dataOut ?? new Uint8Array(0);
    let offset = 0;
    const packets = frameLengths.map((len) => bytes.subarray(offset, (offset += len)));
    await this.model.isochOut(endpointAddress, packets, this);
    return { status: kIOReturnSuccess, frames: frameLengths.map((length) => ({ status: kIOReturnSuccess, length })), data: null };
  }
}

