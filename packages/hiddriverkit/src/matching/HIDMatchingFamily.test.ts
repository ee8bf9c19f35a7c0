import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IODriverBundle, IOService, IOServiceHost, type OSValue } from '@driverkit/driverkit';
import { HIDMatchingFamily } from '../index';

// Stands in for the family's nub class until it lands: matching goes by class name.
class IOHIDDevice extends IOService {}

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function bundle(personalities: Record<string, Record<string, OSValue>>): IODriverBundle {
  const dir = mkdtempSync(join(tmpdir(), 'hid-match-'));
  dirs.push(dir);
  const full = Object.fromEntries(Object.entries(personalities).map(([n, p]) => [n, { IOClass: 'AppleUserHIDEventService', IOProviderClass: 'IOHIDDevice', IOUserClass: 'Driver', ...p }]));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'hid-test', driverkit: { bundleIdentifier: 'org.test.hid', IOKitPersonalities: full } }));
  return IODriverBundle.load(dir);
}

const device = (props: Record<string, OSValue>) => {
  const d = new IOHIDDevice();
  d.setName('hid');
  for (const [k, v] of Object.entries(props)) d.setProperty(k, v);
  return d;
};

const keyboard = device({
  VendorID: 0x05ac,
  ProductID: 0x0250,
  VersionNumber: 0x0100,
  Transport: 'USB',
  LocationID: 0x14100000,
  PrimaryUsagePage: 1,
  PrimaryUsage: 6,
  DeviceUsagePairs: [
    { DeviceUsagePage: 1, DeviceUsage: 6 },
    { DeviceUsagePage: 12, DeviceUsage: 1 },
  ],
  Manufacturer: 'Apple',
  SerialNumber: 'K1',
});

function scores(personalities: Record<string, Record<string, OSValue>>, nub: IOService = keyboard): Record<string, number | 'no match'> {
  const host = new IOServiceHost({ mode: 'in-process' });
  host.registerFamily(HIDMatchingFamily);
  host.addDriverBundle(bundle(personalities));
  const out = Object.fromEntries(host.explain(nub).map((c) => [c.personality.name, c.matched ? c.score : ('no match' as const)]));
  void host.stop();
  return out;
}

test("Apple's HID scores: vendor, the four product forms, version, location, transport", () => {
  expect(
    scores({
      Exact: { VendorID: 0x05ac, ProductID: 0x0250 },
      InArray: { VendorID: 0x05ac, ProductIDArray: [1, 0x0250] },
      Masked: { VendorID: 0x05ac, ProductID: 0x02ff, ProductIDMask: 0xff00 },
      ArrayMasked: { VendorID: 0x05ac, ProductIDArray: [0x0299], ProductIDMask: 0xff00 },
      Versioned: { VendorID: 0x05ac, VersionNumber: 0x0100 },
      Placed: { LocationID: 0x14100000, Transport: 'USB' },
      Identity: { Manufacturer: 'Apple', SerialNumber: 'K1' },
    }),
  ).toEqual({ Exact: 6000, InArray: 5975, Masked: 5950, ArrayMasked: 5925, Versioned: 5100, Placed: 3000, Identity: 200 });
});

test('product and version points count only when VendorID matched; the probe score seeds the total', () => {
  expect(scores({ NoVendor: { ProductID: 0x0250, VersionNumber: 0x0100 }, Seeded: { VendorID: 0x05ac, IOProbeScore: 7 } })).toEqual({ NoVendor: 0, Seeded: 5007 });
});

test('usage pairs replace the primary-usage score; a page-only pair counts half', () => {
  expect(
    scores({
      Primary: { PrimaryUsagePage: 1, PrimaryUsage: 6 },
      PrimaryPage: { PrimaryUsagePage: 1 },
      Pairs: { DeviceUsagePairs: [{ DeviceUsagePage: 12, DeviceUsage: 1 }] },
      PageOnly: { DeviceUsagePairs: [{ DeviceUsagePage: 12, DeviceUsage: 99 }] },
      Both: { DeviceUsagePairs: [{ DeviceUsagePage: 1, DeviceUsage: 6 }, { DeviceUsagePage: 12, DeviceUsage: 1 }], PrimaryUsagePage: 1 },
      Single: { DeviceUsagePage: 1, DeviceUsage: 6 },
    }),
  ).toEqual({ Primary: 1200, PrimaryPage: 1100, Pairs: 1200, PageOnly: 1150, Both: 1300, Single: 1200 });
});

test('any key the device does not satisfy means no match, and the explanation says which', () => {
  expect(
    scores({
      WrongVendor: { VendorID: 1, ProductID: 0x0250 },
      WrongProduct: { VendorID: 0x05ac, ProductID: 1 },
      NotInArray: { VendorID: 0x05ac, ProductIDArray: [1, 2] },
      WrongTransport: { Transport: 'Bluetooth' },
      WrongUsage: { PrimaryUsagePage: 1, PrimaryUsage: 2 },
      NoPair: { DeviceUsagePairs: [{ DeviceUsagePage: 13, DeviceUsage: 1 }] },
      NeedsBehavior: { HIDDefaultBehavior: 'Yes' },
      Boot: { BootProtocol: 1 },
    }),
  ).toEqual({ WrongVendor: 'no match', WrongProduct: 'no match', NotInArray: 'no match', WrongTransport: 'no match', WrongUsage: 'no match', NoPair: 'no match', NeedsBehavior: 'no match', Boot: 'no match' });
  const host = new IOServiceHost({ mode: 'in-process' });
  host.registerFamily(HIDMatchingFamily);
  host.addDriverBundle(bundle({ P: { VendorID: 0x05ac, ProductIDArray: [1, 2] } }));
  expect(host.explainText(keyboard)).toMatch(/✓ VendorID: device 1452, personality 1452 \(\+5000\)\n {4}✗ ProductIDArray: device 592 is not in \[1, 2\]/);
  void host.stop();
});

test("the keyboard sample's placeholder personality matches only a device with those values", () => {
  const placeholder = { VendorID: 0x1234, ProductID: 0x5678, PrimaryUsagePage: 1, PrimaryUsage: 6 };
  expect(scores({ Sample: placeholder })).toEqual({ Sample: 'no match' });
  expect(scores({ Sample: placeholder }, device({ VendorID: 0x1234, ProductID: 0x5678, PrimaryUsagePage: 1, PrimaryUsage: 6 }))).toEqual({ Sample: 7200 });
});
