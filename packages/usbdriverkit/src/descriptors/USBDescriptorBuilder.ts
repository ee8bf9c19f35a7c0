import {
  kIOUSBDescriptorTypeBOS,
  kIOUSBDescriptorTypeConfiguration,
  kIOUSBDescriptorTypeDevice,
  kIOUSBDescriptorTypeEndpoint,
  kIOUSBDescriptorTypeInterface,
  kIOUSBDescriptorTypeInterfaceAssociation,
  kIOUSBDescriptorTypeString,
} from './USBConstants';

/** The fields of a device descriptor a model states; the rest default to a full-speed USB 2.0 device. */
export interface USBDeviceDescriptorFields {
  bcdUSB?: number;
  bDeviceClass?: number;
  bDeviceSubClass?: number;
  bDeviceProtocol?: number;
  bMaxPacketSize0?: number;
  idVendor: number;
  idProduct: number;
  bcdDevice?: number;
  iManufacturer?: number;
  iProduct?: number;
  iSerialNumber?: number;
  bNumConfigurations?: number;
}

export interface USBEndpointFields {
  bEndpointAddress: number;
  bmAttributes: number;
  wMaxPacketSize: number;
  bInterval?: number;
  /** Class-specific or companion descriptors that follow the endpoint, whole (bLength first). */
  extra?: Uint8Array[];
}

export interface USBInterfaceFields {
  bInterfaceNumber: number;
  bAlternateSetting?: number;
  bInterfaceClass: number;
  bInterfaceSubClass?: number;
  bInterfaceProtocol?: number;
  iInterface?: number;
  /** Class-specific descriptors between the interface and its endpoints (HID, CDC functional…). */
  extra?: Uint8Array[];
  endpoints?: USBEndpointFields[];
}

export interface USBInterfaceAssociationFields {
  bFirstInterface: number;
  bInterfaceCount: number;
  bFunctionClass: number;
  bFunctionSubClass?: number;
  bFunctionProtocol?: number;
  iFunction?: number;
}

export interface USBConfigurationFields {
  bConfigurationValue?: number;
  iConfiguration?: number;
  bmAttributes?: number;
  MaxPower?: number;
  /** Interfaces (every alternate setting), each optionally preceded by the IAD that groups it. */
  interfaces: Array<USBInterfaceFields & { association?: USBInterfaceAssociationFields }>;
}

const le16 = (v: number) => [v & 0xff, (v >> 8) & 0xff];

/** Builds an 18-byte device descriptor. */
export function buildDeviceDescriptor(f: USBDeviceDescriptorFields): Uint8Array {
  return Uint8Array.from([
    18, kIOUSBDescriptorTypeDevice, ...le16(f.bcdUSB ?? 0x0200), f.bDeviceClass ?? 0, f.bDeviceSubClass ?? 0, f.bDeviceProtocol ?? 0, f.bMaxPacketSize0 ?? 64,
    ...le16(f.idVendor), ...le16(f.idProduct), ...le16(f.bcdDevice ?? 0x0100), f.iManufacturer ?? 0, f.iProduct ?? 0, f.iSerialNumber ?? 0, f.bNumConfigurations ?? 1,
  ]);
}

/** Builds a configuration descriptor with its interfaces and endpoints; wTotalLength and bNumInterfaces are computed. */
export function buildConfigurationDescriptor(f: USBConfigurationFields): Uint8Array {
  const body: number[] = [];
  const numbers = new Set<number>();
  for (const i of f.interfaces) {
    numbers.add(i.bInterfaceNumber);
    if (i.association) {
      const a = i.association;
      body.push(8, kIOUSBDescriptorTypeInterfaceAssociation, a.bFirstInterface, a.bInterfaceCount, a.bFunctionClass, a.bFunctionSubClass ?? 0, a.bFunctionProtocol ?? 0, a.iFunction ?? 0);
    }
    const eps = i.endpoints ?? [];
    body.push(9, kIOUSBDescriptorTypeInterface, i.bInterfaceNumber, i.bAlternateSetting ?? 0, eps.length, i.bInterfaceClass, i.bInterfaceSubClass ?? 0, i.bInterfaceProtocol ?? 0, i.iInterface ?? 0);
    for (const x of i.extra ?? []) body.push(...x);
    for (const e of eps) {
      body.push(7, kIOUSBDescriptorTypeEndpoint, e.bEndpointAddress, e.bmAttributes, ...le16(e.wMaxPacketSize), e.bInterval ?? 0);
      for (const x of e.extra ?? []) body.push(...x);
    }
  }
  const total = 9 + body.length;
  if (total > 0xffff) throw new RangeError(`configuration descriptor of ${total} bytes exceeds wTotalLength's 65535`);
  return Uint8Array.from([9, kIOUSBDescriptorTypeConfiguration, ...le16(total), numbers.size, f.bConfigurationValue ?? 1, f.iConfiguration ?? 0, f.bmAttributes ?? 0x80, f.MaxPower ?? 50, ...body]);
}

/** Builds a string descriptor (UTF-16LE). */
export function buildStringDescriptor(text: string): Uint8Array {
  const utf16 = Buffer.from(text, 'utf16le');
  if (utf16.length + 2 > 255) throw new RangeError(`string descriptor "${text.slice(0, 20)}…" is longer than 253 bytes`);
  return Uint8Array.from([utf16.length + 2, kIOUSBDescriptorTypeString, ...utf16]);
}

/** Builds string descriptor 0: the language ids (0x0409 is US English). */
export function buildLanguageDescriptor(langIDs: number[] = [0x0409]): Uint8Array {
  return Uint8Array.from([2 + 2 * langIDs.length, kIOUSBDescriptorTypeString, ...langIDs.flatMap(le16)]);
}

/** Builds a BOS descriptor around device capability descriptors given whole. */
export function buildBOSDescriptor(capabilities: Uint8Array[]): Uint8Array {
  const body = capabilities.flatMap((c) => [...c]);
  return Uint8Array.from([5, kIOUSBDescriptorTypeBOS, ...le16(5 + body.length), capabilities.length, ...body]);
}
