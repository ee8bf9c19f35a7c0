import { IOReturnError, IOUserServerRuntime, kIOReturnAborted, kIOReturnNotFound, type IOBufferMemoryDescriptor, type IOMemoryDescriptor, type IOService, type OSAction } from '@driverkit/driverkit';
import type { USBScope } from './access/USBAccess';
import { kIOUSBDescriptorTypeBOS, kIOUSBDeviceRequestRecipientDevice, kIOUSBDeviceRequestTypeStandard, kUSBHostDefaultControlCompletionTimeoutMS } from './descriptors/USBConstants';
import { IOUSBGetNextInterfaceDescriptor, parseBOSDescriptor, parseConfigurationDescriptor, parseDeviceDescriptor, type IOUSBBOSDescriptor, type IOUSBConfigurationDescriptor, type IOUSBDeviceDescriptor } from './descriptors/USBDescriptors';
import { IOUSBHostInterface } from './IOUSBHostInterface';
import { IOUSBHostNub } from './IOUSBHostNub';
import { usbInterfaceProperties } from './host/USBNubProperties';
import { asyncDeviceRequest, configurationWithValue, copyStringDescriptor, createIOBuffer, deviceRequest, requireClient } from './access/USBRequests';

/** Apple's interface iterator: the interfaces of the configuration current when it was made. */
export interface IOUSBHostInterfaceIterator {
  readonly interfaces: IOUSBHostInterface[];
  next: number;
}

/** Mirrors the `kIOUSBHostPortStatus*` bits GetPortStatus reports. */
export const kIOUSBHostPortStatusPortTypeMask = 0xf;
export const kIOUSBHostPortStatusConnectedSpeedMask = 0x700;
export const kIOUSBHostPortStatusResetting = 1 << 11;
export const kIOUSBHostPortStatusEnabled = 1 << 12;
export const kIOUSBHostPortStatusSuspended = 1 << 13;
export const kIOUSBHostPortStatusOvercurrent = 1 << 14;

/**
 * Mirrors `IOUSBHostDevice`: a device on the bus. A driver matched on it opens it (exclusively),
 * reads its descriptors, chooses a configuration, sends control requests, and reaches its
 * interfaces. In the host it is the published nub; in a driver process its calls go to that nub.
 */
export class IOUSBHostDevice extends IOUSBHostNub {
  protected get scope(): USBScope {
    return 'device';
  }

  /** Mirrors `Open(forClient, options, arg)`: exclusive; a second client gets kIOReturnExclusiveAccess. */
  async Open(forClient: IOService, options = 0, _arg = 0): Promise<void> {
    await this.openFor(forClient, options);
  }

  /** Mirrors `Close(forClient, options)`. */
  async Close(forClient: IOService, _options = 0): Promise<void> {
    await this.closeFor(forClient);
  }

  /** Mirrors `CopyDeviceDescriptor`. */
  async CopyDeviceDescriptor(): Promise<IOUSBDeviceDescriptor> {
    return parseDeviceDescriptor((await this.access.snapshot()).deviceDescriptor);
  }

  /**
   * Mirrors `CopyConfigurationDescriptor(index)` and `CopyConfigurationDescriptor(forClient)`: by
   * index, or with no index (or a client) the current configuration.
   */
  async CopyConfigurationDescriptor(index?: number | IOService): Promise<IOUSBConfigurationDescriptor> {
    const s = await this.access.snapshot();
    if (typeof index === 'number') {
      const c = s.configurations[index];
      if (!c) throw new IOReturnError(kIOReturnNotFound, `${this.getName()} has no configuration at index ${index}`);
      return parseConfigurationDescriptor(c);
    }
    return this.CopyConfigurationDescriptorWithValue(s.activeConfiguration);
  }

  /** Mirrors `CopyConfigurationDescriptorWithValue(bConfigurationValue)`. */
  async CopyConfigurationDescriptorWithValue(bConfigurationValue: number): Promise<IOUSBConfigurationDescriptor> {
    return configurationWithValue(await this.access.snapshot(), bConfigurationValue, this.getName());
  }

  /** Mirrors `CopyCapabilityDescriptors`: the BOS descriptor (USB 2.01 and later), or kIOReturnNotFound. */
  async CopyCapabilityDescriptors(): Promise<IOUSBBOSDescriptor> {
    const head = await this.access.getDescriptor(kIOUSBDescriptorTypeBOS, 0, 0, 5, kIOUSBDeviceRequestTypeStandard, kIOUSBDeviceRequestRecipientDevice).catch(() => new Uint8Array(0));
    if (head.length < 5) throw new IOReturnError(kIOReturnNotFound, `${this.getName()} has no BOS descriptor`);
    return parseBOSDescriptor(await this.access.getDescriptor(kIOUSBDescriptorTypeBOS, 0, 0, head[2]! | (head[3]! << 8), kIOUSBDeviceRequestTypeStandard, kIOUSBDeviceRequestRecipientDevice));
  }

  /** Mirrors `CopyStringDescriptor(index, languageID)`. */
  CopyStringDescriptor(index: number, languageID = 0x0409): Promise<string> {
    return copyStringDescriptor(this.access, index, languageID);
  }

  /**
   * Mirrors `CopyDescriptor(type, &length, index, languageID, requestType, requestRecipient)`: any
   * GET_DESCRIPTOR, in Apple's argument order. `languageID` goes in wIndex, as Apple's does (the
   * language for strings, the interface for an interface's class descriptor); `requestType` is
   * `kIOUSBDeviceRequestTypeStandard/Class/Vendor`, `requestRecipient` `kIOUSBDeviceRequestRecipient…`.
   * Resolves with the descriptor (Apple's returned pointer and length).
   */
  CopyDescriptor(type: number, length: number, index: number, languageID = 0, requestType = kIOUSBDeviceRequestTypeStandard, requestRecipient = kIOUSBDeviceRequestRecipientDevice): Promise<Uint8Array> {
    return this.access.getDescriptor(type, index, languageID, length, requestType, requestRecipient);
  }

  /**
   * Mirrors `SetConfiguration(bConfigurationValue, matchInterfaces)`: the device must be open. With
   * `matchInterfaces` the host publishes the new interfaces for drivers to match; without, the
   * device's driver takes them itself through CopyInterface.
   */
  async SetConfiguration(bConfigurationValue: number, matchInterfaces = true): Promise<void> {
    await this.access.setConfiguration(requireClient(this.openClient, this.getName()), bConfigurationValue, matchInterfaces);
  }

  /** Mirrors `DeviceRequest(forClient, bmRequestType, bRequest, wValue, wIndex, wLength, dataBuffer, &bytesTransferred, completionTimeoutMs)`. */
  DeviceRequest(forClient: IOService, bmRequestType: number, bRequest: number, wValue: number, wIndex: number, wLength: number, dataBuffer: IOMemoryDescriptor | null, completionTimeoutMs = kUSBHostDefaultControlCompletionTimeoutMS): Promise<number> {
    return deviceRequest(this.access, forClient.GetRegistryEntryID().toString(), 'device', bmRequestType, bRequest, wValue, wIndex, wLength, dataBuffer, completionTimeoutMs);
  }

  /** Mirrors `AsyncDeviceRequest(…, completion, completionTimeoutMs)`: the completion runs `(action, status, bytesTransferred)`. */
  AsyncDeviceRequest(forClient: IOService, bmRequestType: number, bRequest: number, wValue: number, wIndex: number, wLength: number, dataBuffer: IOMemoryDescriptor | null, completion: OSAction, completionTimeoutMs = kUSBHostDefaultControlCompletionTimeoutMS): void {
    asyncDeviceRequest(this.access, forClient.GetRegistryEntryID().toString(), 'device', bmRequestType, bRequest, wValue, wIndex, wLength, dataBuffer, completion, completionTimeoutMs);
  }

  /** Mirrors `AbortDeviceRequests(forClient, options, withError)`. */
  async AbortDeviceRequests(forClient: IOService, _options = 0, withError: number = kIOReturnAborted): Promise<void> {
    await this.access.abort(forClient.GetRegistryEntryID().toString(), 'device', null, withError);
  }

  /** Mirrors `CreateIOBuffer(options, capacity, &buffer)`. */
  CreateIOBuffer(options: bigint | number, capacity: bigint | number): IOBufferMemoryDescriptor {
    return createIOBuffer(options, capacity);
  }

  /** Mirrors `GetAddress`. */
  GetAddress(): number {
    return this.numberProperty('USB Address');
  }

  /** Mirrors `GetSpeed` (kIOUSBHostConnectionSpeed*). */
  GetSpeed(): number {
    return this.numberProperty('USBSpeed');
  }

  /**
   * Mirrors `GetPortStatus(&portStatus)`: the port type (bits 0–3), the connected speed (8–10),
   * resetting (11), enabled (12: connected and not suspended), suspended (13), overcurrent (14), as the
   * backend reads the port now (the virtual device's model, sysfs for a real device).
   */
  async GetPortStatus(): Promise<number> {
    const p = await this.access.portState();
    return (p.type & 0xf) | ((this.GetSpeed() & 0x7) << 8) | (p.resetting ? kIOUSBHostPortStatusResetting : 0) | (p.suspended ? kIOUSBHostPortStatusSuspended : kIOUSBHostPortStatusEnabled) | (p.overcurrent ? kIOUSBHostPortStatusOvercurrent : 0);
  }

  /** Mirrors `GetFrameNumber(&frame, &time)`. */
  GetFrameNumber(): Promise<{ frame: bigint; time: bigint }> {
    return this.access.frameNumber();
  }

  /** Mirrors `Reset`: the device must be open; alternate settings and halts are lost, the configuration stays. */
  async Reset(): Promise<void> {
    await this.access.reset(requireClient(this.openClient, this.getName()));
  }

  /** Mirrors `CreateInterfaceIterator`: the interfaces of the current configuration, each an IOUSBHostInterface. */
  async CreateInterfaceIterator(): Promise<IOUSBHostInterfaceIterator> {
    const s = await this.access.snapshot();
    const device = parseDeviceDescriptor(s.deviceDescriptor);
    const cfg = configurationWithValue(s, s.activeConfiguration, this.getName());
    const interfaces: IOUSBHostInterface[] = [];
    for (let i = IOUSBGetNextInterfaceDescriptor(cfg, null); i; i = IOUSBGetNextInterfaceDescriptor(cfg, i)) {
      if (i.bAlternateSetting !== (s.alternates[i.bInterfaceNumber] ?? 0)) continue;
      const nub = new IOUSBHostInterface();
      nub.setName(`IOUSBHostInterface@${i.bInterfaceNumber}`);
      nub.setNubProperties(usbInterfaceProperties(device, i, cfg.bConfigurationValue, { speed: s.speed, address: s.address, locationID: s.locationID }));
      nub.bindTo(this.access);
      interfaces.push(nub);
    }
    return { interfaces, next: 0 };
  }

  /** Mirrors `CopyInterface(iterator, &interface)`: the next interface, or null at the end. */
  CopyInterface(iterator: IOUSBHostInterfaceIterator): IOUSBHostInterface | null {
    const i = iterator.interfaces[iterator.next++];
    return i ? (i.retain() as IOUSBHostInterface) : null;
  }

  /** Mirrors `DestroyInterfaceIterator`. */
  DestroyInterfaceIterator(iterator: IOUSBHostInterfaceIterator): void {
    for (const i of iterator.interfaces) i.release();
    iterator.interfaces.length = 0;
  }
}

IOUserServerRuntime.registerProviderClass('IOUSBHostDevice', IOUSBHostDevice);

// IOUSBHostInterface.CopyDevice makes stand-ins of this class without importing it (this module imports that one).
IOUSBHostInterface.deviceClass = IOUSBHostDevice;
