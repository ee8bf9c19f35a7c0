import { IOReturnError, kIOReturnAborted, kIOReturnBadArgument, kIOReturnExclusiveAccess, kIOReturnNoDevice, kIOReturnNotFound, kIOReturnNotOpen, kIOReturnSuccess } from '@driverkit/driverkit';
import { kIOUSBDeviceRequestSetConfiguration, kIOUSBDeviceRequestSetInterface } from '../../descriptors/USBConstants';
import type { USBDeviceHandle, USBIsochResult, USBSetupPacket, USBTransferResult, USBPortState } from '../USBBackend';
import type { VirtualUSBDevice, Waiter } from './VirtualUSBDevice';

/** One open of a virtual device, with libusb's rules: endpoints only of claimed interfaces, one claimant per interface. */
export class VirtualUSBDeviceHandle implements USBDeviceHandle {
  static readonly #claims = new WeakMap<VirtualUSBDevice, Map<number, VirtualUSBDeviceHandle>>();
  readonly #claimed = new Set<number>();
  readonly #waiters = new Set<Waiter>();
  #closed = false;
  #gone = false;

  constructor(readonly device: VirtualUSBDevice) {}

  #check(): void {
    if (this.#gone) throw new IOReturnError(kIOReturnNoDevice, `virtual USB device ${this.device.id} is unplugged`);
    if (this.#closed) throw new IOReturnError(kIOReturnNotOpen, `virtual USB device ${this.device.id} is closed`);
  }

  /** @internal */
  unplugged(): void {
    this.#gone = true;
    for (const w of [...this.#waiters]) w.finish({ status: kIOReturnNoDevice, length: 0, data: null });
    this.device.releaseParked(kIOReturnNoDevice);
  }

  async controlTransfer(setup: USBSetupPacket, dataOut: Uint8Array | null, timeoutMs: number): Promise<USBTransferResult> {
    this.#check();
    return this.device.control(setup, dataOut, timeoutMs);
  }

  // Not `async`: the transfer's own promise is the one returned (see VirtualUSBDevice.transfer).
  transfer(endpointAddress: number, dataOut: Uint8Array | null, lengthIn: number, timeoutMs: number): Promise<USBTransferResult> {
    try {
      this.#check();
      this.#checkEndpoint(endpointAddress);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.device.transfer(endpointAddress, dataOut, lengthIn, timeoutMs, this.#waiters);
  }

  async isochTransfer(endpointAddress: number, dataOut: Uint8Array | null, frameLengths: number[]): Promise<USBIsochResult> {
    this.#check();
    this.#checkEndpoint(endpointAddress);
    return this.device.isoch(endpointAddress, dataOut, frameLengths);
  }

  #checkEndpoint(endpointAddress: number): void {
    const iface = this.device.interfaceOfEndpoint(endpointAddress);
    if (iface === undefined) throw new IOReturnError(kIOReturnNotFound, `endpoint 0x${endpointAddress.toString(16)} is not in the current settings of device ${this.device.id}`);
    if (!this.#claimed.has(iface)) throw new IOReturnError(kIOReturnNotOpen, `endpoint 0x${endpointAddress.toString(16)} belongs to interface ${iface}, which is not claimed`);
  }

  async setConfiguration(value: number): Promise<void> {
    this.#check();
    if (this.#claimed.size > 0) throw new IOReturnError(kIOReturnExclusiveAccess, `cannot change the configuration of ${this.device.id} while interfaces ${[...this.#claimed].join(', ')} are claimed`);
    const r = await this.device.control({ bmRequestType: 0, bRequest: kIOUSBDeviceRequestSetConfiguration, wValue: value, wIndex: 0, wLength: 0 }, null, 0);
    if (r.status !== kIOReturnSuccess) throw new IOReturnError(kIOReturnBadArgument, `device ${this.device.id} has no configuration ${value}`);
  }

  async claimInterface(interfaceNumber: number): Promise<void> {
    this.#check();
    if (!this.device.hasInterface(interfaceNumber)) throw new IOReturnError(kIOReturnNotFound, `device ${this.device.id} has no interface ${interfaceNumber} in configuration ${this.device.configurationValue}`);
    const claims = VirtualUSBDeviceHandle.#claims.get(this.device) ?? new Map<number, VirtualUSBDeviceHandle>();
    VirtualUSBDeviceHandle.#claims.set(this.device, claims);
    const holder = claims.get(interfaceNumber);
    if (holder && holder !== this) throw new IOReturnError(kIOReturnExclusiveAccess, `interface ${interfaceNumber} of ${this.device.id} is claimed by another handle`);
    claims.set(interfaceNumber, this);
    this.#claimed.add(interfaceNumber);
  }

  async releaseInterface(interfaceNumber: number): Promise<void> {
    this.#claimed.delete(interfaceNumber);
    const claims = VirtualUSBDeviceHandle.#claims.get(this.device);
    if (claims?.get(interfaceNumber) === this) claims.delete(interfaceNumber);
  }

  async setAlternateSetting(interfaceNumber: number, alternateSetting: number): Promise<void> {
    this.#check();
    if (!this.#claimed.has(interfaceNumber)) throw new IOReturnError(kIOReturnNotOpen, `interface ${interfaceNumber} is not claimed`);
    const r = await this.device.control({ bmRequestType: 1, bRequest: kIOUSBDeviceRequestSetInterface, wValue: alternateSetting, wIndex: interfaceNumber, wLength: 0 }, null, 0);
    if (r.status !== kIOReturnSuccess) throw new IOReturnError(kIOReturnNotFound, `interface ${interfaceNumber} has no alternate setting ${alternateSetting}`);
  }

  async clearHalt(endpointAddress: number): Promise<void> {
    this.#check();
    this.device.clearHalt(endpointAddress);
  }

  /** Ends this handle's transfers on `endpointAddress`; null aborts control requests (those a hung device parked). */
  abort(endpointAddress: number | null, status: number = kIOReturnAborted): void {
    if (endpointAddress === null) this.device.releaseParked(status);
    else this.device.abortWaiters(this.#waiters, endpointAddress, status);
  }

  /** As libusb_reset_device: the device re-enumerates and gets its configuration back; claims survive, alternate settings and halts do not. */
  async reset(): Promise<void> {
    this.#check();
    this.device.resetState();
  }

  frameNumber(): { frame: bigint; time: bigint } {
    this.#check();
    return this.device.frameNumber();
  }

  portState(): USBPortState {
    this.#check();
    return this.device.portState();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.device.abortWaiters(this.#waiters, null, kIOReturnAborted);
    this.device.releaseParked(kIOReturnAborted);
    for (const n of [...this.#claimed]) await this.releaseInterface(n);
    this.#closed = true;
    this.device.closed(this);
  }
}
