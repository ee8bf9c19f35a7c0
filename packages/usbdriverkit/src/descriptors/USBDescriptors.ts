import { IOReturnError, kIOReturnBadArgument } from '@driverkit/driverkit';
import {
  kIOUSBDescriptorTypeBOS,
  kIOUSBDescriptorTypeConfiguration,
  kIOUSBDescriptorTypeDevice,
  kIOUSBDescriptorTypeDeviceCapability,
  kIOUSBDescriptorTypeEndpoint,
  kIOUSBDescriptorTypeInterface,
  kIOUSBDescriptorTypeInterfaceAssociation,
  kIOUSBDescriptorTypeString,
  kIOUSBDescriptorTypeSuperSpeedUSBEndpointCompanion,
} from './USBConstants';

/**
 * Every descriptor: Apple's two header fields, where it sits in the blob it came from (a
 * configuration or BOS descriptor), and its own bytes (class-specific descriptors are read from these).
 */
export interface IOUSBDescriptorHeader {
  readonly bLength: number;
  readonly bDescriptorType: number;
  /** Byte offset in the enclosing configuration or BOS blob (0 for a standalone descriptor). */
  readonly offset: number;
  /** The descriptor's own bytes, `bLength` of them. */
  readonly raw: Uint8Array;
}

export interface IOUSBDeviceDescriptor extends IOUSBDescriptorHeader {
  readonly bcdUSB: number;
  readonly bDeviceClass: number;
  readonly bDeviceSubClass: number;
  readonly bDeviceProtocol: number;
  readonly bMaxPacketSize0: number;
  readonly idVendor: number;
  readonly idProduct: number;
  readonly bcdDevice: number;
  readonly iManufacturer: number;
  readonly iProduct: number;
  readonly iSerialNumber: number;
  readonly bNumConfigurations: number;
}

/** A configuration descriptor with everything wTotalLength covers (interfaces, endpoints, class descriptors). */
export interface IOUSBConfigurationDescriptor extends IOUSBDescriptorHeader {
  readonly wTotalLength: number;
  readonly bNumInterfaces: number;
  readonly bConfigurationValue: number;
  readonly iConfiguration: number;
  readonly bmAttributes: number;
  readonly MaxPower: number;
  /** The whole blob, wTotalLength bytes; iteration helpers walk it. */
  readonly bytes: Uint8Array;
}

export interface IOUSBInterfaceDescriptor extends IOUSBDescriptorHeader {
  readonly bInterfaceNumber: number;
  readonly bAlternateSetting: number;
  readonly bNumEndpoints: number;
  readonly bInterfaceClass: number;
  readonly bInterfaceSubClass: number;
  readonly bInterfaceProtocol: number;
  readonly iInterface: number;
}

export interface IOUSBEndpointDescriptor extends IOUSBDescriptorHeader {
  readonly bEndpointAddress: number;
  readonly bmAttributes: number;
  readonly wMaxPacketSize: number;
  readonly bInterval: number;
}

export interface IOUSBInterfaceAssociationDescriptor extends IOUSBDescriptorHeader {
  readonly bFirstInterface: number;
  readonly bInterfaceCount: number;
  readonly bFunctionClass: number;
  readonly bFunctionSubClass: number;
  readonly bFunctionProtocol: number;
  readonly iFunction: number;
}

export interface IOUSBSuperSpeedEndpointCompanionDescriptor extends IOUSBDescriptorHeader {
  readonly bMaxBurst: number;
  readonly bmAttributes: number;
  readonly wBytesPerInterval: number;
}

export interface IOUSBBOSDescriptor extends IOUSBDescriptorHeader {
  readonly wTotalLength: number;
  readonly bNumDeviceCaps: number;
  readonly bytes: Uint8Array;
}

export interface IOUSBDeviceCapabilityDescriptorHeader extends IOUSBDescriptorHeader {
  readonly bDevCapabilityType: number;
}

/** Any descriptor a configuration walk yields, typed by what its bDescriptorType says. */
export type IOUSBDescriptor = IOUSBDescriptorHeader | IOUSBInterfaceDescriptor | IOUSBEndpointDescriptor | IOUSBInterfaceAssociationDescriptor | IOUSBSuperSpeedEndpointCompanionDescriptor;

function malformed(what: string, offset: number, problem: string): never {
  throw new IOReturnError(kIOReturnBadArgument, `malformed ${what} at byte ${offset}: ${problem}`);
}

function header(bytes: Uint8Array, offset: number, what: string, end = bytes.length): IOUSBDescriptorHeader {
  if (offset + 2 > end) malformed(what, offset, `${end - offset} byte(s) left, a descriptor needs at least 2`);
  const bLength = bytes[offset]!;
  if (bLength === 0) malformed(what, offset, 'bLength is 0');
  if (bLength < 2) malformed(what, offset, `bLength ${bLength} is shorter than a descriptor header`);
  if (offset + bLength > end) malformed(what, offset, `bLength ${bLength} runs past the end (${end - offset} bytes left)`);
  return { bLength, bDescriptorType: bytes[offset + 1]!, offset, raw: bytes.subarray(offset, offset + bLength) };
}

function need(h: IOUSBDescriptorHeader, min: number, what: string): void {
  if (h.bLength < min) malformed(what, h.offset, `bLength ${h.bLength} is shorter than the ${min} bytes of a ${what}`);
}

const u16 = (b: Uint8Array, o: number) => b[o]! | (b[o + 1]! << 8);

/** Parses an 18-byte device descriptor. */
export function parseDeviceDescriptor(bytes: Uint8Array): IOUSBDeviceDescriptor {
  const h = header(bytes, 0, 'device descriptor');
  if (h.bDescriptorType !== kIOUSBDescriptorTypeDevice) malformed('device descriptor', 0, `bDescriptorType is ${h.bDescriptorType}, not 1`);
  need(h, 18, 'device descriptor');
  const b = h.raw;
  return {
    ...h,
    bcdUSB: u16(b, 2),
    bDeviceClass: b[4]!,
    bDeviceSubClass: b[5]!,
    bDeviceProtocol: b[6]!,
    bMaxPacketSize0: b[7]!,
    idVendor: u16(b, 8),
    idProduct: u16(b, 10),
    bcdDevice: u16(b, 12),
    iManufacturer: b[14]!,
    iProduct: b[15]!,
    iSerialNumber: b[16]!,
    bNumConfigurations: b[17]!,
  };
}

/** Types a descriptor found at `offset` of a configuration (interface, endpoint, IAD, companion), checking its length. */
function typed(h: IOUSBDescriptorHeader): IOUSBDescriptor {
  const b = h.raw;
  switch (h.bDescriptorType) {
    case kIOUSBDescriptorTypeInterface:
      need(h, 9, 'interface descriptor');
      return { ...h, bInterfaceNumber: b[2]!, bAlternateSetting: b[3]!, bNumEndpoints: b[4]!, bInterfaceClass: b[5]!, bInterfaceSubClass: b[6]!, bInterfaceProtocol: b[7]!, iInterface: b[8]! } satisfies IOUSBInterfaceDescriptor;
    case kIOUSBDescriptorTypeEndpoint:
      need(h, 7, 'endpoint descriptor');
      return { ...h, bEndpointAddress: b[2]!, bmAttributes: b[3]!, wMaxPacketSize: u16(b, 4), bInterval: b[6]! } satisfies IOUSBEndpointDescriptor;
    case kIOUSBDescriptorTypeInterfaceAssociation:
      need(h, 8, 'interface association descriptor');
      return { ...h, bFirstInterface: b[2]!, bInterfaceCount: b[3]!, bFunctionClass: b[4]!, bFunctionSubClass: b[5]!, bFunctionProtocol: b[6]!, iFunction: b[7]! } satisfies IOUSBInterfaceAssociationDescriptor;
    case kIOUSBDescriptorTypeSuperSpeedUSBEndpointCompanion:
      need(h, 6, 'SuperSpeed endpoint companion descriptor');
      return { ...h, bMaxBurst: b[2]!, bmAttributes: b[3]!, wBytesPerInterval: u16(b, 4) } satisfies IOUSBSuperSpeedEndpointCompanionDescriptor;
    default:
      return h;
  }
}

/** The bytes a wTotalLength covers (configuration, BOS), checked against what is present. */
function totalBlob(bytes: Uint8Array, h: IOUSBDescriptorHeader, what: string): Uint8Array {
  const wTotalLength = u16(bytes, 2);
  if (wTotalLength < h.bLength) malformed(what, 2, `wTotalLength ${wTotalLength} is shorter than the descriptor itself`);
  if (wTotalLength > bytes.length) malformed(what, 2, `wTotalLength says ${wTotalLength} bytes but only ${bytes.length} are present`);
  return bytes.subarray(0, wTotalLength);
}

/**
 * Parses and validates a whole configuration descriptor: wTotalLength must be present in `bytes` and
 * every descriptor inside it must have a sane bLength, so the iteration helpers never fail or loop.
 * Bytes beyond wTotalLength are ignored, as the USB stack does.
 */
export function parseConfigurationDescriptor(bytes: Uint8Array): IOUSBConfigurationDescriptor {
  const what = 'configuration descriptor';
  const h = header(bytes, 0, what);
  if (h.bDescriptorType !== kIOUSBDescriptorTypeConfiguration) malformed(what, 0, `bDescriptorType is ${h.bDescriptorType}, not 2`);
  need(h, 9, what);
  const blob = totalBlob(bytes, h, what);
  const wTotalLength = blob.length;
  for (let o = h.bLength; o < wTotalLength; ) {
    const d = typed(header(blob, o, `descriptor in configuration ${bytes[5]}`));
    o += d.bLength;
  }
  return { ...h, raw: blob.subarray(0, h.bLength), wTotalLength, bNumInterfaces: bytes[4]!, bConfigurationValue: bytes[5]!, iConfiguration: bytes[6]!, bmAttributes: bytes[7]!, MaxPower: bytes[8]!, bytes: blob };
}

/** Parses and validates a BOS descriptor and its device capabilities. */
export function parseBOSDescriptor(bytes: Uint8Array): IOUSBBOSDescriptor {
  const what = 'BOS descriptor';
  const h = header(bytes, 0, what);
  if (h.bDescriptorType !== kIOUSBDescriptorTypeBOS) malformed(what, 0, `bDescriptorType is ${h.bDescriptorType}, not 15`);
  need(h, 5, what);
  const blob = totalBlob(bytes, h, what);
  const wTotalLength = blob.length;
  for (let o = h.bLength; o < wTotalLength; ) {
    const d = header(blob, o, 'device capability descriptor');
    if (d.bDescriptorType === kIOUSBDescriptorTypeDeviceCapability) need(d, 3, 'device capability descriptor');
    o += d.bLength;
  }
  return { ...h, raw: blob.subarray(0, h.bLength), wTotalLength, bNumDeviceCaps: bytes[4]!, bytes: blob };
}

/** Decodes a string descriptor (UTF-16LE). */
export function parseStringDescriptor(bytes: Uint8Array): string {
  const h = header(bytes, 0, 'string descriptor');
  if (h.bDescriptorType !== kIOUSBDescriptorTypeString) malformed('string descriptor', 0, `bDescriptorType is ${h.bDescriptorType}, not 3`);
  if (h.bLength % 2 !== 0) malformed('string descriptor', 0, `bLength ${h.bLength} is odd (UTF-16 code units are 2 bytes)`);
  return Buffer.from(h.raw.buffer, h.raw.byteOffset + 2, h.bLength - 2).toString('utf16le');
}

/** The language ids of string descriptor 0. */
export function parseLanguageIDs(bytes: Uint8Array): number[] {
  const h = header(bytes, 0, 'string descriptor 0');
  if (h.bDescriptorType !== kIOUSBDescriptorTypeString) malformed('string descriptor 0', 0, `bDescriptorType is ${h.bDescriptorType}, not 3`);
  const ids: number[] = [];
  for (let o = 2; o + 1 < h.bLength; o += 2) ids.push(u16(h.raw, o));
  return ids;
}

// ---- Apple's iteration helpers (IOUSBGetNext*). `current` null starts at the beginning. ----

function blobOf(parent: IOUSBConfigurationDescriptor | IOUSBBOSDescriptor): Uint8Array {
  return parent.bytes;
}

/** IOUSBGetNextDescriptor: the descriptor after `current` in the configuration (or BOS), or null at the end. */
export function IOUSBGetNextDescriptor(configuration: IOUSBConfigurationDescriptor | IOUSBBOSDescriptor, current: IOUSBDescriptorHeader | null): IOUSBDescriptor | null {
  const blob = blobOf(configuration);
  const next = current ? current.offset + current.bLength : configuration.bLength;
  if (next >= blob.length) return null;
  return typed(header(blob, next, 'descriptor'));
}

/** IOUSBGetNextDescriptorWithType. */
export function IOUSBGetNextDescriptorWithType(configuration: IOUSBConfigurationDescriptor | IOUSBBOSDescriptor, current: IOUSBDescriptorHeader | null, type: number): IOUSBDescriptor | null {
  for (let d = IOUSBGetNextDescriptor(configuration, current); d; d = IOUSBGetNextDescriptor(configuration, d)) if (d.bDescriptorType === type) return d;
  return null;
}

// What ends the run of descriptors that belong to a parent: another of its kind, or anything above it.
const boundaries: Record<number, number[]> = {
  [kIOUSBDescriptorTypeInterfaceAssociation]: [kIOUSBDescriptorTypeInterfaceAssociation],
  [kIOUSBDescriptorTypeInterface]: [kIOUSBDescriptorTypeInterface, kIOUSBDescriptorTypeInterfaceAssociation],
  [kIOUSBDescriptorTypeEndpoint]: [kIOUSBDescriptorTypeEndpoint, kIOUSBDescriptorTypeInterface, kIOUSBDescriptorTypeInterfaceAssociation],
};

/**
 * IOUSBGetNextAssociatedDescriptor: the next descriptor after `current` that belongs to `parent`
 * (the descriptors between it and the next one of its kind or higher: an interface's endpoints and
 * class descriptors, an endpoint's companions). For an IAD, the interfaces it groups.
 */
export function IOUSBGetNextAssociatedDescriptor(configuration: IOUSBConfigurationDescriptor, parent: IOUSBDescriptorHeader, current: IOUSBDescriptorHeader | null): IOUSBDescriptor | null {
  const d = IOUSBGetNextDescriptor(configuration, current && current.offset > parent.offset ? current : parent);
  if (!d) return null;
  if (parent.bDescriptorType === kIOUSBDescriptorTypeInterfaceAssociation) {
    const iad = parent as IOUSBInterfaceAssociationDescriptor;
    if (d.bDescriptorType === kIOUSBDescriptorTypeInterfaceAssociation) return null;
    if (d.bDescriptorType === kIOUSBDescriptorTypeInterface) {
      const n = (d as IOUSBInterfaceDescriptor).bInterfaceNumber;
      if (n < iad.bFirstInterface || n >= iad.bFirstInterface + iad.bInterfaceCount) return null;
    }
    return d;
  }
  const stops = boundaries[parent.bDescriptorType] ?? [parent.bDescriptorType];
  return stops.includes(d.bDescriptorType) ? null : d;
}

/** IOUSBGetNextAssociatedDescriptorWithType. */
export function IOUSBGetNextAssociatedDescriptorWithType(configuration: IOUSBConfigurationDescriptor, parent: IOUSBDescriptorHeader, current: IOUSBDescriptorHeader | null, type: number): IOUSBDescriptor | null {
  for (let d = IOUSBGetNextAssociatedDescriptor(configuration, parent, current); d; d = IOUSBGetNextAssociatedDescriptor(configuration, parent, d)) if (d.bDescriptorType === type) return d;
  return null;
}

/** IOUSBGetNextInterfaceDescriptor: every interface descriptor (each alternate setting) in order. */
export function IOUSBGetNextInterfaceDescriptor(configuration: IOUSBConfigurationDescriptor, current: IOUSBDescriptorHeader | null): IOUSBInterfaceDescriptor | null {
  return IOUSBGetNextDescriptorWithType(configuration, current, kIOUSBDescriptorTypeInterface) as IOUSBInterfaceDescriptor | null;
}

/** IOUSBGetNextInterfaceAssociationDescriptor. */
export function IOUSBGetNextInterfaceAssociationDescriptor(configuration: IOUSBConfigurationDescriptor, current: IOUSBDescriptorHeader | null): IOUSBInterfaceAssociationDescriptor | null {
  return IOUSBGetNextDescriptorWithType(configuration, current, kIOUSBDescriptorTypeInterfaceAssociation) as IOUSBInterfaceAssociationDescriptor | null;
}

/** IOUSBGetNextEndpointDescriptor: the endpoints of one interface descriptor (one alternate setting). */
export function IOUSBGetNextEndpointDescriptor(configuration: IOUSBConfigurationDescriptor, interfaceDescriptor: IOUSBInterfaceDescriptor, current: IOUSBDescriptorHeader | null): IOUSBEndpointDescriptor | null {
  return IOUSBGetNextAssociatedDescriptorWithType(configuration, interfaceDescriptor, current, kIOUSBDescriptorTypeEndpoint) as IOUSBEndpointDescriptor | null;
}

/** The SuperSpeed companion right after an endpoint, if any. */
export function IOUSBGetSuperSpeedEndpointCompanionDescriptor(configuration: IOUSBConfigurationDescriptor, endpoint: IOUSBEndpointDescriptor): IOUSBSuperSpeedEndpointCompanionDescriptor | null {
  return IOUSBGetNextAssociatedDescriptorWithType(configuration, endpoint, null, kIOUSBDescriptorTypeSuperSpeedUSBEndpointCompanion) as IOUSBSuperSpeedEndpointCompanionDescriptor | null;
}

/** IOUSBGetNextCapabilityDescriptor. */
export function IOUSBGetNextCapabilityDescriptor(bos: IOUSBBOSDescriptor, current: IOUSBDescriptorHeader | null): IOUSBDeviceCapabilityDescriptorHeader | null {
  const d = IOUSBGetNextDescriptorWithType(bos, current, kIOUSBDescriptorTypeDeviceCapability);
  return d ? { ...d, bDevCapabilityType: d.raw[2]! } : null;
}

/** IOUSBGetNextCapabilityDescriptorWithType. */
export function IOUSBGetNextCapabilityDescriptorWithType(bos: IOUSBBOSDescriptor, current: IOUSBDescriptorHeader | null, type: number): IOUSBDeviceCapabilityDescriptorHeader | null {
  for (let d = IOUSBGetNextCapabilityDescriptor(bos, current); d; d = IOUSBGetNextCapabilityDescriptor(bos, d)) if (d.bDevCapabilityType === type) return d;
  return null;
}

/** IOUSBGetConfigurationMaxPowerMilliAmps: MaxPower is in 2 mA units below SuperSpeed, 8 mA at SuperSpeed. */
export function IOUSBGetConfigurationMaxPowerMilliAmps(speed: number, configuration: IOUSBConfigurationDescriptor): number {
  return configuration.MaxPower * (speed >= 4 ? 8 : 2);
}

/** The interface descriptor of `interfaceNumber` in its `alternateSetting`, or null. */
export function IOUSBFindInterfaceDescriptor(configuration: IOUSBConfigurationDescriptor, interfaceNumber: number, alternateSetting = 0): IOUSBInterfaceDescriptor | null {
  for (let i = IOUSBGetNextInterfaceDescriptor(configuration, null); i; i = IOUSBGetNextInterfaceDescriptor(configuration, i)) {
    if (i.bInterfaceNumber === interfaceNumber && i.bAlternateSetting === alternateSetting) return i;
  }
  return null;
}

/**
 * Which interface each endpoint belongs to, among the interfaces' current alternate settings
 * (`alternateSetting(n)`, 0 for interfaces never switched): what every transfer is checked against.
 */
export function IOUSBEndpointInterfaces(configuration: IOUSBConfigurationDescriptor | null, alternateSetting: (interfaceNumber: number) => number): Map<number, number> {
  const map = new Map<number, number>();
  for (let i = configuration && IOUSBGetNextInterfaceDescriptor(configuration, null); configuration && i; i = IOUSBGetNextInterfaceDescriptor(configuration, i)) {
    if (i.bAlternateSetting !== alternateSetting(i.bInterfaceNumber)) continue;
    for (let e = IOUSBGetNextEndpointDescriptor(configuration, i, null); e; e = IOUSBGetNextEndpointDescriptor(configuration, i, e)) map.set(e.bEndpointAddress, i.bInterfaceNumber);
  }
  return map;
}
