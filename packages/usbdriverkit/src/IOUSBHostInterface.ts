import { IOReturnError, IOUserServerRuntime, OSString, kIOReturnAborted, kIOReturnNotAttached, kIOReturnNotFound, type IOBufferMemoryDescriptor, type IOMemoryDescriptor, type IOService, type OSAction } from '@driverkit/driverkit';
import type { USBAccess, USBDeviceSnapshot, USBScope } from './access/USBAccess';
import { USBRemoteAccess } from './access/USBRemoteAccess';
import type { IOUSBHostDevice } from './IOUSBHostDevice';
import { kUSBHostDefaultControlCompletionTimeoutMS } from './descriptors/USBConstants';
import { IOUSBFindInterfaceDescriptor, IOUSBGetNextEndpointDescriptor, IOUSBGetSuperSpeedEndpointCompanionDescriptor, type IOUSBConfigurationDescriptor, type IOUSBInterfaceDescriptor } from './descriptors/USBDescriptors';
import { IOUSBHostNub } from './IOUSBHostNub';
import { IOUSBHostPipe } from './IOUSBHostPipe';
import { asyncDeviceRequest, configurationWithValue, copyStringDescriptor, createIOBuffer, deviceRequest, requireClient } from './access/USBRequests';

/**
 * Mirrors `IOUSBHostInterface`: one interface of the device's current configuration. A driver
 * matched on it opens it (exclusively), selects an alternate setting, and copies pipes for its
 * endpoints. Requests made through an interface carry the interface's client.
 */
export class IOUSBHostInterface extends IOUSBHostNub {
  /** @internal IOUSBHostDevice, set by its module (which imports this one). */
  static deviceClass: (new () => IOUSBHostDevice) | null = null;
  #alternate: number | null = null;
  #idlePolicy = 0;

  protected get scope(): USBScope {
    return this.numberProperty('bInterfaceNumber');
  }

  /** @internal An interface made by IOUSBHostDevice.CopyInterface shares its device's access. */
  bindTo(access: USBAccess): void {
    this.bindAccess(access);
  }

  #client(): string {
    return requireClient(this.openClient, `interface ${this.scope} (${this.getName()})`);
  }

  /**
   * Mirrors `CopyDevice(&device)`: the device this interface belongs to, retained. In a driver process
   * it is a stand-in with the device nub's properties whose calls go, as this interface's do, to the
   * host's session of the device.
   */
  async CopyDevice(): Promise<IOUSBHostDevice> {
    const Device = IOUSBHostInterface.deviceClass!;
    const provider = this.GetProvider();
    if (provider instanceof Device) return provider.retain() as IOUSBHostDevice;
    const access = this.access;
    if (!(access instanceof USBRemoteAccess)) throw new IOReturnError(kIOReturnNotAttached, `${this.getName()}: the interface has no device`);
    const properties = await access.deviceProperties();
    const device = new Device();
    device.setProperties(properties);
    const name = properties.getObject('USB Product Name');
    device.setName(name instanceof OSString ? name.getCStringNoCopy() : 'IOUSBHostDevice');
    device.shareAccess(access);
    return device;
  }

  /** Mirrors `Open(forClient, options, arg)`: claims the interface, exclusively. */
  async Open(forClient: IOService, options = 0, _arg = 0): Promise<void> {
    await this.openFor(forClient, options);
  }

  /** Mirrors `Close(forClient, options)`: pending transfers on its pipes complete with kIOReturnAborted. */
  async Close(forClient: IOService, _options = 0): Promise<void> {
    await this.closeFor(forClient);
  }

  /** Mirrors `CopyConfigurationDescriptor`: the configuration this interface belongs to. */
  async CopyConfigurationDescriptor(): Promise<IOUSBConfigurationDescriptor> {
    return this.#configuration(await this.access.snapshot());
  }

  // The current configuration of a snapshot; the snapshot also tells this interface's current setting.
  #configuration(s: USBDeviceSnapshot): IOUSBConfigurationDescriptor {
    this.#alternate = s.alternates[this.scope as number] ?? 0;
    return configurationWithValue(s, s.activeConfiguration, this.getName());
  }

  /** Mirrors `GetInterfaceDescriptor(configurationDescriptor)`: this interface's descriptor in its current alternate setting. */
  GetInterfaceDescriptor(configuration: IOUSBConfigurationDescriptor): IOUSBInterfaceDescriptor {
    const n = this.scope as number;
    const d = IOUSBFindInterfaceDescriptor(configuration, n, this.#alternate ?? this.numberProperty('bAlternateSetting'));
    if (!d) throw new IOReturnError(kIOReturnNotFound, `configuration ${configuration.bConfigurationValue} has no interface ${n}`);
    return d;
  }

  /** Mirrors `CopyStringDescriptor(index, languageID)`. */
  CopyStringDescriptor(index: number, languageID = 0x0409): Promise<string> {
    return copyStringDescriptor(this.access, index, languageID);
  }

  /** Mirrors `SelectAlternateSetting(bAlternateSetting)`: pending transfers end with kIOReturnAborted; pipes copied before belong to the old setting. */
  async SelectAlternateSetting(bAlternateSetting: number): Promise<void> {
    await this.access.selectAlternateSetting(this.#client(), this.scope as number, bAlternateSetting);
    this.#alternate = bAlternateSetting;
  }

  /** Mirrors `CopyPipe(address, &pipe)`: the interface must be open and the endpoint in its current setting. */
  async CopyPipe(address: number): Promise<IOUSBHostPipe> {
    const client = this.#client();
    const s = await this.access.snapshot();
    const cfg = this.#configuration(s);
    const i = this.GetInterfaceDescriptor(cfg);
    for (let e = IOUSBGetNextEndpointDescriptor(cfg, i, null); e; e = IOUSBGetNextEndpointDescriptor(cfg, i, e)) {
      if (e.bEndpointAddress === address) return new IOUSBHostPipe(this.access, client, { descriptor: e, ssCompanionDescriptor: IOUSBGetSuperSpeedEndpointCompanionDescriptor(cfg, e) }, s.speed, s.address);
    }
    throw new IOReturnError(kIOReturnNotFound, `interface ${i.bInterfaceNumber} (alternate setting ${i.bAlternateSetting}) has no endpoint 0x${address.toString(16)}`);
  }

  /** Mirrors `DeviceRequest(bmRequestType, bRequest, wValue, wIndex, wLength, dataBuffer, &bytesTransferred, completionTimeoutMs)`. */
  DeviceRequest(bmRequestType: number, bRequest: number, wValue: number, wIndex: number, wLength: number, dataBuffer: IOMemoryDescriptor | null, completionTimeoutMs = kUSBHostDefaultControlCompletionTimeoutMS): Promise<number> {
    return deviceRequest(this.access, this.#client(), this.scope, bmRequestType, bRequest, wValue, wIndex, wLength, dataBuffer, completionTimeoutMs);
  }

  /** Mirrors `AsyncDeviceRequest(…, completion, completionTimeoutMs)`: the completion runs `(action, status, bytesTransferred)`. */
  AsyncDeviceRequest(bmRequestType: number, bRequest: number, wValue: number, wIndex: number, wLength: number, dataBuffer: IOMemoryDescriptor | null, completion: OSAction, completionTimeoutMs = kUSBHostDefaultControlCompletionTimeoutMS): void {
    asyncDeviceRequest(this.access, this.#client(), this.scope, bmRequestType, bRequest, wValue, wIndex, wLength, dataBuffer, completion, completionTimeoutMs);
  }

  /** Mirrors `AbortDeviceRequests(options, withError)`. */
  async AbortDeviceRequests(_options = 0, withError: number = kIOReturnAborted): Promise<void> {
    await this.access.abort(this.#client(), this.scope, null, withError);
  }

  /** Mirrors `CreateIOBuffer(options, capacity, &buffer)`. */
  CreateIOBuffer(options: bigint | number, capacity: bigint | number): IOBufferMemoryDescriptor {
    return createIOBuffer(options, capacity);
  }

  /** Mirrors `GetFrameNumber(&frame, &time)`. */
  GetFrameNumber(): Promise<{ frame: bigint; time: bigint }> {
    return this.access.frameNumber();
  }

  /** Mirrors `SetIdlePolicy(ms)`: kept for GetIdlePolicy; Linux autosuspend follows the kernel's policy. */
  SetIdlePolicy(idleTimeoutMs: number): void {
    this.#idlePolicy = idleTimeoutMs;
  }

  GetIdlePolicy(): number {
    return this.#idlePolicy;
  }
}

IOUserServerRuntime.registerProviderClass('IOUSBHostInterface', IOUSBHostInterface);
