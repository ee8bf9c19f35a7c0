import { IOBufferMemoryDescriptor, IOReturnError, kIOReturnBadArgument, kIOReturnNotFound, kIOReturnNotOpen, kIOReturnSuccess, type IOMemoryDescriptor, type IOService, type OSAction } from '@driverkit/driverkit';
import type { USBAccess, USBDeviceSnapshot, USBScope } from './USBAccess';
import { kIOUSBDescriptorTypeString, kIOUSBDeviceRequestRecipientDevice, kIOUSBDeviceRequestTypeStandard } from '../descriptors/USBConstants';
import { parseConfigurationDescriptor, parseStringDescriptor, type IOUSBConfigurationDescriptor } from '../descriptors/USBDescriptors';

// What IOUSBHostDevice and IOUSBHostInterface share (Apple gives both the same request methods).

/** The client key of `forClient` (Apple's forClient argument). */
export function clientKey(forClient: IOService): string {
  return forClient.GetRegistryEntryID().toString();
}

/** A client key or a clear kIOReturnNotOpen naming the object. */
export function requireClient(client: string | null, what: string): string {
  if (client === null) throw new IOReturnError(kIOReturnNotOpen, `${what} is not open (call Open first)`);
  return client;
}

/**
 * DeviceRequest: one control transfer. OUT data comes from `data`, IN data lands in it. Resolves with
 * the bytes transferred; a stall, timeout or unplug rejects with its code.
 */
export async function deviceRequest(access: USBAccess, client: string, scope: USBScope, bmRequestType: number, bRequest: number, wValue: number, wIndex: number, wLength: number, data: IOMemoryDescriptor | null, timeoutMs: number): Promise<number> {
  if (wLength > 0 && !data) throw new IOReturnError(kIOReturnBadArgument, `DeviceRequest: wLength is ${wLength} but no data buffer was given`);
  if (data && BigInt(wLength) > data.GetLength()) throw new IOReturnError(kIOReturnBadArgument, `DeviceRequest: wLength ${wLength} is larger than the ${data.GetLength()}-byte buffer`);
  const isIn = (bmRequestType & 0x80) !== 0;
  const out = !isIn && wLength > 0 ? data!.readBytes(0, wLength) : !isIn ? new Uint8Array(0) : null;
  const r = await access.control(client, scope, { bmRequestType, bRequest, wValue, wIndex, wLength }, out, timeoutMs);
  if (isIn && r.data && data) data.writeBytes(0, r.data);
  if (r.status !== kIOReturnSuccess) throw new IOReturnError(r.status, `DeviceRequest 0x${bmRequestType.toString(16)}/${bRequest} failed after ${r.length} bytes`);
  return r.length;
}

/** AsyncDeviceRequest: as {@link deviceRequest}, completing through `completion` (status, bytesTransferred). */
export function asyncDeviceRequest(access: USBAccess, client: string, scope: USBScope, bmRequestType: number, bRequest: number, wValue: number, wIndex: number, wLength: number, data: IOMemoryDescriptor | null, completion: OSAction, timeoutMs: number): void {
  completion.retain();
  deviceRequest(access, client, scope, bmRequestType, bRequest, wValue, wIndex, wLength, data, timeoutMs).then(
    (n) => completion.Invoke(kIOReturnSuccess, n),
    (e) => completion.Invoke(e instanceof IOReturnError ? e.code : kIOReturnBadArgument, 0),
  ).finally(() => completion.release());
}

/** CopyStringDescriptor: the string at `index` in `languageID` (US English by default). */
export async function copyStringDescriptor(access: USBAccess, index: number, languageID = 0x0409): Promise<string> {
  if (index === 0) throw new IOReturnError(kIOReturnBadArgument, 'CopyStringDescriptor: index 0 is the language list, not a string');
  return parseStringDescriptor(await access.getDescriptor(kIOUSBDescriptorTypeString, index, languageID, 255, kIOUSBDeviceRequestTypeStandard, kIOUSBDeviceRequestRecipientDevice));
}

/** CreateIOBuffer: a buffer transfers can use (Apple's pinned, DMA-able buffer; shared memory here). */
export function createIOBuffer(options: bigint | number, capacity: bigint | number): IOBufferMemoryDescriptor {
  return IOBufferMemoryDescriptor.Create(options, capacity);
}

/** The configuration with `value` in a snapshot, parsed; kIOReturnNotFound naming `who` when there is none (0: unconfigured). */
export function configurationWithValue(s: USBDeviceSnapshot, value: number, who: string): IOUSBConfigurationDescriptor {
  const c = s.configurations.find((b) => b[5] === value);
  if (!c) throw new IOReturnError(kIOReturnNotFound, value === 0 ? `${who}: the device is unconfigured (call SetConfiguration first)` : `${who} has no configuration ${value}`);
  return parseConfigurationDescriptor(c);
}
