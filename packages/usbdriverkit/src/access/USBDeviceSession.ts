import { IOReturnError, kIOReturnAborted, kIOReturnBadArgument, kIOReturnExclusiveAccess, kIOReturnNoDevice, kIOReturnNotFound, kIOReturnNotOpen, kIOReturnNotPermitted, kIOReturnSuccess } from '@driverkit/driverkit';
import { kUSBHostDefaultControlCompletionTimeoutMS } from '../descriptors/USBConstants';
import type { USBBackend, USBDeviceHandle, USBDeviceInfo, USBDeviceLocator, USBIsochResult, USBSetupPacket, USBTransferResult, USBPortState } from '../backend/USBBackend';
import { IOUSBEndpointInterfaces, IOUSBFindInterfaceDescriptor, parseConfigurationDescriptor, type IOUSBConfigurationDescriptor } from '../descriptors/USBDescriptors';
import type { USBAccess, USBDeviceSnapshot, USBScope } from './USBAccess';

const scopeName = (scope: USBScope) => (scope === 'device' ? 'the device' : `interface ${scope}`);

/** IOUSBHostInterface::Open option (ours, Linux only): unbind a kernel driver that holds the interface first. */
export const kUSBHostInterfaceOpenDetachKernelDriver = 0x10000;

/**
 * The host's hold on one device: the backend handle (opened on first Open, closed after the last
 * Close), who has the device and each interface open (Apple's exclusive Open), the current
 * configuration and alternate settings, and what happens on unplug: every pending transfer ends
 * with kIOReturnNoDevice and every later call fails with it. A scope {@link grant}ed to a driver
 * process is held there, on that process's own handle: the session only keeps it exclusive and
 * records what the driver changed.
 */
export class USBDeviceSession implements USBAccess {
  #handle: USBDeviceHandle | null = null;
  #opening: Promise<USBDeviceHandle> | null = null;
  #deviceOwner: string | null = null;
  readonly #interfaceOwners = new Map<number, string>();
  /** The scopes whose owner holds them on a handle of its own, in its own process. */
  readonly #granted = new Set<USBScope>();
  #active: number;
  #alternates: Record<number, number> = {};
  readonly #parsed: IOUSBConfigurationDescriptor[];
  #gone = false;
  #bos: Uint8Array | null = null;
  /** Told when SetConfiguration changed the configuration (the plugin republishes interface nubs). */
  onConfigurationChanged: ((value: number, matchInterfaces: boolean) => void) | null = null;

  constructor(
    readonly backend: USBBackend,
    readonly info: USBDeviceInfo,
  ) {
    this.#active = info.activeConfiguration;
    this.#parsed = info.configurations.map((c) => parseConfigurationDescriptor(c));
  }

  get activeConfiguration(): number {
    return this.#active;
  }

  /** The parsed active configuration, or null when unconfigured. */
  activeConfigurationDescriptor(): IOUSBConfigurationDescriptor | null {
    return this.#parsed.find((c) => c.bConfigurationValue === this.#active) ?? null;
  }

  alternateSetting(interfaceNumber: number): number {
    return this.#alternates[interfaceNumber] ?? 0;
  }

  async snapshot(): Promise<USBDeviceSnapshot> {
    this.#live();
    return {
      deviceDescriptor: this.info.deviceDescriptor,
      configurations: this.info.configurations,
      bos: this.#bos,
      activeConfiguration: this.#active,
      alternates: { ...this.#alternates },
      speed: this.info.speed,
      address: this.info.address,
      locationID: this.info.locationID,
    };
  }

  /** Runs `fn` on the handle, opening it for the call when nobody has the device open. */
  async #withHandle<T>(fn: (h: USBDeviceHandle) => Promise<T> | T): Promise<T> {
    this.#live();
    const h = await this.#ensureHandle();
    try {
      return await fn(h);
    } finally {
      await this.#closeHandleIfIdle();
    }
  }

  getDescriptor(type: number, index: number, wIndex: number, length: number, requestType: number, recipient: number): Promise<Uint8Array> {
    return this.#withHandle(async (h) => {
      const setup = { bmRequestType: 0x80 | (requestType & 0x60) | (recipient & 0x1f), bRequest: 6, wValue: ((type & 0xff) << 8) | (index & 0xff), wIndex: wIndex & 0xffff, wLength: length };
      const r = await h.controlTransfer(setup, null, kUSBHostDefaultControlCompletionTimeoutMS);
      if (r.status !== kIOReturnSuccess) throw new IOReturnError(r.status, `GET_DESCRIPTOR type ${type} index ${index} of ${this.info.id} failed`);
      return r.data ?? new Uint8Array(0);
    });
  }

  #live(): void {
    if (this.#gone) throw new IOReturnError(kIOReturnNoDevice, `USB device ${this.info.id} is gone (unplugged)`);
  }

  #owner(scope: USBScope): string | null {
    return scope === 'device' ? this.#deviceOwner : (this.#interfaceOwners.get(scope) ?? null);
  }

  #requireOwner(client: string, scope: USBScope, what: string): void {
    this.#live();
    if (this.#owner(scope) !== client) {
      const name = scope === 'device' ? `device ${this.info.id}` : `interface ${scope} of ${this.info.id}`;
      throw new IOReturnError(kIOReturnNotOpen, `${what}: the ${name} is not open for this client (call Open first)`);
    }
  }

  /** `client` owns `scope` and holds it here, on this session's handle (not granted to its process). */
  #requireHeld(client: string, scope: USBScope, what: string): void {
    this.#requireOwner(client, scope, what);
    if (this.#granted.has(scope)) throw new IOReturnError(kIOReturnNotPermitted, `${what}: ${scopeName(scope)} of ${this.info.id} is open in the driver's process, on its own handle: the call belongs there`);
  }

  /** Where another process finds this device to open it itself, or null when only this process reaches it. */
  get locator(): USBDeviceLocator | null {
    return this.backend.locate?.(this.info.id) ?? null;
  }

  async #ensureHandle(): Promise<USBDeviceHandle> {
    if (this.#handle) return this.#handle;
    this.#opening ??= this.backend.open(this.info.id).then(
      (h) => {
        this.#handle = h;
        this.#opening = null;
        return h;
      },
      (e) => {
        this.#opening = null;
        throw e;
      },
    );
    return this.#opening;
  }

  /** Apple's exclusive Open: false when `client` already has `scope`; throws when another client does. */
  #take(client: string, scope: USBScope): boolean {
    this.#live();
    const owner = this.#owner(scope);
    if (owner === client) return false;
    if (owner !== null) throw new IOReturnError(kIOReturnExclusiveAccess, `${scopeName(scope)} of ${this.info.id} is already open by another client`);
    if (scope !== 'device') {
      const cfg = this.activeConfigurationDescriptor();
      if (!cfg || !IOUSBFindInterfaceDescriptor(cfg, scope, this.alternateSetting(scope))) throw new IOReturnError(kIOReturnNotFound, `${this.info.id} has no interface ${scope} in configuration ${this.#active}`);
    }
    if (scope === 'device') this.#deviceOwner = client;
    else this.#interfaceOwners.set(scope, client);
    return true;
  }

  /**
   * Opens `scope` for `client` in another process, which opens the device through {@link locator}
   * and claims there: the session keeps the Open exclusive and opens nothing itself. The grant ends
   * with Close, or with the client's process ({@link closeClients}), whose handle the kernel closes.
   */
  grant(client: string, scope: USBScope): USBDeviceLocator {
    const locator = this.locator;
    if (!locator) throw new IOReturnError(kIOReturnNotPermitted, `${this.info.id} (${this.backend.name}) can only be opened in the process that found it`);
    if (this.#take(client, scope)) this.#granted.add(scope);
    else if (!this.#granted.has(scope)) throw new IOReturnError(kIOReturnExclusiveAccess, `${scopeName(scope)} of ${this.info.id} is already open here for this client`);
    return locator;
  }

  async open(client: string, scope: USBScope, options: number): Promise<void> {
    // Take the scope before waiting, so a racing Open sees it taken.
    if (!this.#take(client, scope)) {
      if (this.#granted.has(scope)) throw new IOReturnError(kIOReturnExclusiveAccess, `${scopeName(scope)} of ${this.info.id} is open for this client in its driver's process`);
      return;
    }
    try {
      const h = await this.#ensureHandle();
      if (scope !== 'device') await h.claimInterface(scope, (options & kUSBHostInterfaceOpenDetachKernelDriver) !== 0);
    } catch (e) {
      if (scope === 'device') this.#deviceOwner = null;
      else this.#interfaceOwners.delete(scope);
      await this.#closeHandleIfIdle();
      throw e;
    }
  }

  async close(client: string, scope: USBScope): Promise<void> {
    if (this.#owner(scope) !== client) return;
    // A granted scope was claimed on its process's handle: that process released it (or its exit did).
    const granted = this.#granted.delete(scope);
    if (scope === 'device') this.#deviceOwner = null;
    else if (granted) this.#interfaceOwners.delete(scope);
    else {
      this.#interfaceOwners.delete(scope);
      const h = this.#handle;
      if (h) {
        for (const ep of this.#endpointsOf(scope)) h.abort(ep, kIOReturnAborted);
        await h.releaseInterface(scope).catch(() => {});
      }
    }
    await this.#closeHandleIfIdle();
  }

  /** Closes every scope `client` (or any client whose key starts with `prefix/`) holds: its process or service is gone. */
  async closeClients(prefix: string): Promise<void> {
    const mine = (c: string | null) => c !== null && (c === prefix || c.startsWith(`${prefix}/`));
    for (const [n, c] of [...this.#interfaceOwners]) if (mine(c)) await this.close(c, n);
    if (mine(this.#deviceOwner)) await this.close(this.#deviceOwner!, 'device');
  }

  /** Whether a scope is held on this session's own handle. */
  #holdsHere(): boolean {
    if (this.#deviceOwner !== null && !this.#granted.has('device')) return true;
    for (const n of this.#interfaceOwners.keys()) if (!this.#granted.has(n)) return true;
    return false;
  }

  async #closeHandleIfIdle(): Promise<void> {
    if (this.#holdsHere() || !this.#handle) return;
    const h = this.#handle;
    this.#handle = null;
    await h.close().catch(() => {});
  }

  #endpointsOf(interfaceNumber: number): number[] {
    this.#endpointInterfaces ??= IOUSBEndpointInterfaces(this.activeConfigurationDescriptor(), (n) => this.alternateSetting(n));
    return [...this.#endpointInterfaces].filter(([, n]) => n === interfaceNumber).map(([ep]) => ep);
  }

  async setConfiguration(client: string, value: number, matchInterfaces: boolean): Promise<void> {
    this.#requireOwner(client, 'device', 'SetConfiguration');
    if (value !== 0 && !this.#parsed.some((c) => c.bConfigurationValue === value)) throw new IOReturnError(kIOReturnBadArgument, `${this.info.id} has no configuration ${value}`);
    if (this.#interfaceOwners.size > 0) throw new IOReturnError(kIOReturnExclusiveAccess, `SetConfiguration: interfaces ${[...this.#interfaceOwners.keys()].join(', ')} of ${this.info.id} are open`);
    // A device granted to a driver process is not open here: the session opens its handle for the request.
    await this.#withHandle((h) => h.setConfiguration(value));
    this.#active = value;
    this.#alternates = {};
    this.#endpointInterfaces = null;
    this.onConfigurationChanged?.(value, matchInterfaces);
  }

  async control(client: string, scope: USBScope, setup: USBSetupPacket, dataOut: Uint8Array | null, timeoutMs: number): Promise<USBTransferResult> {
    this.#requireHeld(client, scope, 'DeviceRequest');
    if (setup.bmRequestType & 0x80 ? dataOut !== null : (dataOut?.length ?? 0) !== setup.wLength) {
      throw new IOReturnError(kIOReturnBadArgument, `DeviceRequest: wLength ${setup.wLength} does not match the ${setup.bmRequestType & 0x80 ? 'IN' : 'OUT'} data (${dataOut?.length ?? 0} bytes)`);
    }
    return this.#handle!.controlTransfer(setup, dataOut, timeoutMs);
  }

  // Endpoint → interface for the current settings, rebuilt after a configuration or alternate-setting change (every transfer asks).
  #endpointInterfaces: Map<number, number> | null = null;

  #pipeInterface(client: string, endpointAddress: number, what: string): void {
    this.#live();
    this.#endpointInterfaces ??= IOUSBEndpointInterfaces(this.activeConfigurationDescriptor(), (n) => this.alternateSetting(n));
    const n = this.#endpointInterfaces.get(endpointAddress);
    if (n === undefined) throw new IOReturnError(kIOReturnNotFound, `${what}: ${this.info.id} has no endpoint 0x${endpointAddress.toString(16)} in its current settings`);
    if (this.#interfaceOwners.get(n) !== client || this.#granted.has(n)) this.#requireHeld(client, n, what);
  }

  // Not async: the transfer's own promise is the one the caller waits on (each promise of a transfer costs).
  io(client: string, endpointAddress: number, dataOut: Uint8Array | null, lengthIn: number, timeoutMs: number): Promise<USBTransferResult> {
    try {
      this.#pipeInterface(client, endpointAddress, 'IO');
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#handle!.transfer(endpointAddress, dataOut, lengthIn, timeoutMs);
  }

  async isoch(client: string, endpointAddress: number, dataOut: Uint8Array | null, frameLengths: number[], timeoutMs: number): Promise<USBIsochResult> {
    this.#pipeInterface(client, endpointAddress, 'IsochIO');
    return this.#handle!.isochTransfer(endpointAddress, dataOut, frameLengths, timeoutMs);
  }

  async abort(client: string, scope: USBScope, endpointAddress: number | null, status: number): Promise<void> {
    if (endpointAddress !== null) this.#pipeInterface(client, endpointAddress, 'Abort');
    else this.#requireHeld(client, scope, 'AbortDeviceRequests');
    this.#handle?.abort(endpointAddress, status);
  }

  async clearHalt(client: string, endpointAddress: number, withRequest: boolean): Promise<void> {
    this.#pipeInterface(client, endpointAddress, 'ClearStall');
    // Without the request only the host side resets; the device keeps its halt, as on real hardware.
    if (withRequest) await this.#handle!.clearHalt(endpointAddress);
  }

  #requireAlternate(interfaceNumber: number, alternateSetting: number): void {
    const cfg = this.activeConfigurationDescriptor();
    if (!cfg || !IOUSBFindInterfaceDescriptor(cfg, interfaceNumber, alternateSetting)) throw new IOReturnError(kIOReturnNotFound, `interface ${interfaceNumber} of ${this.info.id} has no alternate setting ${alternateSetting}`);
  }

  async selectAlternateSetting(client: string, interfaceNumber: number, alternateSetting: number): Promise<void> {
    this.#requireHeld(client, interfaceNumber, 'SelectAlternateSetting');
    this.#requireAlternate(interfaceNumber, alternateSetting);
    for (const ep of this.#endpointsOf(interfaceNumber)) this.#handle!.abort(ep, kIOReturnAborted);
    await this.#handle!.setAlternateSetting(interfaceNumber, alternateSetting);
    this.#alternates[interfaceNumber] = alternateSetting;
    this.#endpointInterfaces = null;
  }

  async reset(client: string): Promise<void> {
    this.#requireHeld(client, 'device', 'Reset');
    await this.#handle!.reset();
    this.#alternates = {};
    this.#endpointInterfaces = null;
  }

  /**
   * What the process a scope is granted to did on its own handle, recorded so that the host's view
   * (CopyInterface's settings, another process's snapshot) follows: an alternate setting it selected
   * (`interfaceNumber`), or a reset (null), which returns every interface to setting 0.
   */
  recordGranted(client: string, interfaceNumber: number | null, alternateSetting = 0): void {
    const scope = interfaceNumber ?? 'device';
    this.#requireOwner(client, scope, interfaceNumber === null ? 'Reset' : 'SelectAlternateSetting');
    if (!this.#granted.has(scope)) throw new IOReturnError(kIOReturnNotPermitted, `${scopeName(scope)} of ${this.info.id} is open here, not in the driver's process`);
    if (interfaceNumber === null) this.#alternates = {};
    else {
      this.#requireAlternate(interfaceNumber, alternateSetting);
      this.#alternates[interfaceNumber] = alternateSetting;
    }
    this.#endpointInterfaces = null;
  }

  /** The configuration (and interfaces' settings) another process's session set: this one adopts them without I/O. */
  adoptConfiguration(value: number, alternates: Record<number, number> = {}): void {
    this.#active = value;
    this.#alternates = { ...alternates };
    this.#endpointInterfaces = null;
  }

  /** Whether any client has a scope open. */
  get inUse(): boolean {
    return this.#deviceOwner !== null || this.#interfaceOwners.size > 0;
  }

  frameNumber(): Promise<{ frame: bigint; time: bigint }> {
    return this.#withHandle((h) => h.frameNumber());
  }

  portState(): Promise<USBPortState> {
    return this.#withHandle((h) => h.portState());
  }

  /** The device is gone: pending transfers end with kIOReturnNoDevice; every later call fails with it. */
  async terminate(): Promise<void> {
    if (this.#gone) return;
    this.#gone = true;
    const h = this.#handle;
    this.#handle = null;
    this.#deviceOwner = null;
    this.#interfaceOwners.clear();
    this.#granted.clear();
    if (h) {
      h.abort(null, kIOReturnNoDevice);
      this.#endpointInterfaces ??= IOUSBEndpointInterfaces(this.activeConfigurationDescriptor(), (n) => this.alternateSetting(n));
      for (const ep of this.#endpointInterfaces.keys()) h.abort(ep, kIOReturnNoDevice);
      await h.close().catch(() => {});
    }
  }

  /** Reads and keeps the BOS descriptor (USB 2.01+ devices), for CopyCapabilityDescriptors. */
  setBOS(bos: Uint8Array | null): void {
    this.#bos = bos;
  }
}
