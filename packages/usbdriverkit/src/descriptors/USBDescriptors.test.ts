import { isIOReturnError, kIOReturnBadArgument } from '@driverkit/driverkit';
import {
  IOUSBGetEndpointBurstSize,
  IOUSBGetEndpointIntervalMicroframes,
  IOUSBGetEndpointMaxPacketSize,
  IOUSBGetNextAssociatedDescriptor,
  IOUSBGetNextEndpointDescriptor,
  IOUSBGetNextInterfaceAssociationDescriptor,
  IOUSBGetNextInterfaceDescriptor,
  buildConfigurationDescriptor,
  buildStringDescriptor,
  kIOUSBHostConnectionSpeedFull,
  kIOUSBHostConnectionSpeedHigh,
  parseConfigurationDescriptor,
  parseStringDescriptor,
  type IOUSBConfigurationDescriptor,
} from '../index';

// A CDC-ACM function grouped by an IAD, with class-specific descriptors, then a vendor interface with two alternate settings.
const cdc = buildConfigurationDescriptor({
  interfaces: [
    {
      association: { bFirstInterface: 0, bInterfaceCount: 2, bFunctionClass: 2, bFunctionSubClass: 2 },
      bInterfaceNumber: 0,
      bInterfaceClass: 2,
      bInterfaceSubClass: 2,
      extra: [Uint8Array.of(5, 0x24, 0, 0x10, 1), Uint8Array.of(5, 0x24, 6, 0, 1)],
      endpoints: [{ bEndpointAddress: 0x83, bmAttributes: 3, wMaxPacketSize: 16, bInterval: 10 }],
    },
    { bInterfaceNumber: 1, bInterfaceClass: 0x0a, endpoints: [{ bEndpointAddress: 0x81, bmAttributes: 2, wMaxPacketSize: 64 }, { bEndpointAddress: 0x01, bmAttributes: 2, wMaxPacketSize: 64 }] },
    { bInterfaceNumber: 2, bInterfaceClass: 0xff, endpoints: [] },
    { bInterfaceNumber: 2, bAlternateSetting: 1, bInterfaceClass: 0xff, endpoints: [{ bEndpointAddress: 0x82, bmAttributes: 1, wMaxPacketSize: 0x1000 | 512, bInterval: 1 }] },
  ],
});

function walk(cfg: IOUSBConfigurationDescriptor) {
  const out: string[] = [];
  for (let i = IOUSBGetNextInterfaceDescriptor(cfg, null); i; i = IOUSBGetNextInterfaceDescriptor(cfg, i)) {
    const eps: string[] = [];
    for (let e = IOUSBGetNextEndpointDescriptor(cfg, i, null); e; e = IOUSBGetNextEndpointDescriptor(cfg, i, e)) eps.push(e.bEndpointAddress.toString(16));
    out.push(`${i.bInterfaceNumber}.${i.bAlternateSetting}:${eps.join(',')}`);
  }
  return out;
}

test('a built configuration parses back: interfaces, alternate settings, endpoints, IADs and class-specific descriptors', () => {
  const cfg = parseConfigurationDescriptor(cdc);
  expect([cfg.wTotalLength, cfg.bNumInterfaces, cfg.bConfigurationValue]).toEqual([cdc.length, 3, 1]);
  expect(walk(cfg)).toEqual(['0.0:83', '1.0:81,1', '2.0:', '2.1:82']);
  const iad = IOUSBGetNextInterfaceAssociationDescriptor(cfg, null)!;
  expect([iad.bFirstInterface, iad.bInterfaceCount, iad.bFunctionClass]).toEqual([0, 2, 2]);
  // The IAD's associated descriptors run through interfaces 0 and 1 and stop at interface 2.
  const grouped: number[] = [];
  for (let d = IOUSBGetNextAssociatedDescriptor(cfg, iad, null); d; d = IOUSBGetNextAssociatedDescriptor(cfg, iad, d)) if (d.bDescriptorType === 4) grouped.push(d.raw[2]!);
  expect(grouped).toEqual([0, 1]);
  // The communications interface's class-specific descriptors stay reachable, raw.
  const comm = IOUSBGetNextInterfaceDescriptor(cfg, null)!;
  const cs: number[][] = [];
  for (let d = IOUSBGetNextAssociatedDescriptor(cfg, comm, null); d; d = IOUSBGetNextAssociatedDescriptor(cfg, comm, d)) if (d.bDescriptorType === 0x24) cs.push([...d.raw]);
  expect(cs).toEqual([[5, 0x24, 0, 0x10, 1], [5, 0x24, 6, 0, 1]]);
  // High-bandwidth isochronous: 512-byte packets, 2 extra transactions, every microframe.
  const iso = IOUSBGetNextEndpointDescriptor(cfg, IOUSBGetNextInterfaceDescriptor(cfg, IOUSBGetNextInterfaceDescriptor(cfg, IOUSBGetNextInterfaceDescriptor(cfg, comm)))!, null)!;
  expect([IOUSBGetEndpointMaxPacketSize(kIOUSBHostConnectionSpeedHigh, iso), IOUSBGetEndpointBurstSize(kIOUSBHostConnectionSpeedHigh, iso), IOUSBGetEndpointIntervalMicroframes(kIOUSBHostConnectionSpeedHigh, iso)]).toEqual([512, 2, 1]);
  const intr = IOUSBGetNextEndpointDescriptor(cfg, comm, null)!;
  expect(IOUSBGetEndpointIntervalMicroframes(kIOUSBHostConnectionSpeedFull, intr)).toBe(64); // 10 ms rounds down to 8 frames
});

test.each([
  ['bLength 0 inside the configuration', (b: Uint8Array) => (b[9] = 0), /at byte 9: bLength is 0/],
  ['a descriptor running past wTotalLength', (b: Uint8Array) => (b[9] = 200), /at byte 9: bLength 200 runs past the end/],
  ['wTotalLength longer than the data', (b: Uint8Array) => (b[2] = 0xff), /wTotalLength says 255 bytes but only \d+ are present/],
  ['a short interface descriptor', (b: Uint8Array) => b.set([2], 17), /at byte 17: bLength 2 is shorter than the 9 bytes of a interface descriptor/],
  ['bLength 1', (b: Uint8Array) => (b[9] = 1), /bLength 1 is shorter than a descriptor header/],
])('malformed: %s is refused with the offset', (_name, damage, message) => {
  const b = Uint8Array.from(cdc);
  damage(b);
  let error: unknown;
  try {
    parseConfigurationDescriptor(b);
  } catch (e) {
    error = e;
  }
  expect(isIOReturnError(error) && error.code === kIOReturnBadArgument).toBe(true);
  expect((error as Error).message).toMatch(message);
});

test('string descriptors are UTF-16LE, both ways', () => {
  expect(parseStringDescriptor(buildStringDescriptor('Ünïcode ✓'))).toBe('Ünïcode ✓');
  expect(() => parseStringDescriptor(Uint8Array.of(5, 3, 0x41, 0, 0x42))).toThrow(/odd/);
});

test('random bytes never hang the parser or the walk', () => {
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff);
  for (let n = 0; n < 2000; n++) {
    const b = Uint8Array.from({ length: 9 + (rand() % 60) }, rand);
    b[0] = 9;
    b[1] = 2;
    b[2] = b.length;
    b[3] = 0;
    try {
      walk(parseConfigurationDescriptor(b));
    } catch (e) {
      expect(isIOReturnError(e)).toBe(true);
    }
  }
});
