import { IOService, OSDictionary, toOSDictionary, type OSValue } from '@driverkit/driverkit';
import { IOUSBHostDevice, IOUSBHostInterface, USBMatchingFamily } from '../index';

function nub(Class: typeof IOUSBHostDevice | typeof IOUSBHostInterface, props: Record<string, OSValue>): IOService {
  const n = new Class();
  n.init();
  n.setNubProperties(props);
  return n;
}

const vendorInterface = nub(IOUSBHostInterface, { idVendor: 4292, idProduct: 60000, bcdDevice: 0x100, bConfigurationValue: 1, bInterfaceNumber: 0, bInterfaceClass: 0xff, bInterfaceSubClass: 0, bInterfaceProtocol: 0 });
const hidInterface = nub(IOUSBHostInterface, { idVendor: 0x1bcf, idProduct: 5, bcdDevice: 0x14, bConfigurationValue: 1, bInterfaceNumber: 0, bInterfaceClass: 3, bInterfaceSubClass: 1, bInterfaceProtocol: 2 });
const device = nub(IOUSBHostDevice, { idVendor: 0x1209, idProduct: 0x5553, bcdDevice: 0x100, bDeviceClass: 0, bDeviceSubClass: 0, bDeviceProtocol: 0 });

function score(provider: IOService, table: Record<string, OSValue>): number | string {
  const t: OSDictionary = toOSDictionary({ IOProviderClass: provider.getClassName(), ...table });
  const probe = (table.IOProbeScore as number | undefined) ?? 0;
  const r = USBMatchingFamily.matchPropertyTable(provider, t, probe);
  return r.matched ? r.score : r.checks.filter((c) => !c.passed).map((c) => `${c.key}: ${c.detail}`).join('; ');
}

test("QA1076's interface ladder, with Apple's SLCOM personality at 90000", () => {
  expect(score(vendorInterface, { idVendor: 4292, idProduct: 60000, bInterfaceNumber: 0, bConfigurationValue: 1 })).toBe(90000);
  expect(score(vendorInterface, { idVendor: 4292, idProduct: 60000, bInterfaceNumber: 0, bConfigurationValue: 1, bcdDevice: 0x100 })).toBe(100000);
  expect(score(vendorInterface, { idVendor: 4292, bInterfaceSubClass: 0, bInterfaceProtocol: 0 })).toBe(80000);
  expect(score(vendorInterface, { idVendor: 4292, bInterfaceSubClass: 0 })).toBe(70000);
  expect(score(hidInterface, { bInterfaceClass: 3, bInterfaceSubClass: 1, bInterfaceProtocol: 2 })).toBe(60000);
  expect(score(hidInterface, { bInterfaceClass: 3, bInterfaceSubClass: 1 })).toBe(50000);
});

test('extra keys void a rung, mismatches and incomplete combinations do not match', () => {
  // Vendor + product on an interface needs bInterfaceNumber and bConfigurationValue.
  expect(score(vendorInterface, { idVendor: 4292, idProduct: 60000 })).toMatch(/not one of QA1076's combinations/);
  // The class rungs refuse a vendor-specific class, and the vendor rungs anything else.
  expect(score(vendorInterface, { bInterfaceClass: 0xff, bInterfaceSubClass: 0 })).toMatch(/combination/);
  expect(score(hidInterface, { idVendor: 0x1bcf, bInterfaceSubClass: 1 })).toMatch(/need bInterfaceClass 0xFF/);
  // A class rung with idProduct is an extra key.
  expect(score(hidInterface, { bInterfaceClass: 3, bInterfaceSubClass: 1, idProduct: 5 })).toMatch(/combination/);
  expect(score(vendorInterface, { idVendor: 4292, idProduct: 60001, bInterfaceNumber: 0, bConfigurationValue: 1 })).toMatch(/idProduct: device 60000, personality 60001/);
  // Class keys given with vendor + product must match too.
  expect(score(hidInterface, { idVendor: 0x1bcf, idProduct: 5, bInterfaceNumber: 0, bConfigurationValue: 1, bInterfaceClass: 7 })).toMatch(/bInterfaceClass/);
});

test('device nubs use the bDevice keys; wildcards cost 1000, masks 500, IOProbeScore cannot climb a rung', () => {
  expect(score(device, { idVendor: 0x1209, idProduct: 0x5553 })).toBe(90000);
  expect(score(device, { idVendor: 0x1209, idProduct: 0x5553, bcdDevice: 0x100 })).toBe(100000);
  expect(score(device, { idVendor: 0x1209, idProduct: '*' })).toBe(89000);
  expect(score(device, { idVendor: 0x1209, idProduct: 0x5500, idProductMask: 0xff00 })).toBe(89500);
  expect(score(device, { idVendor: 0x1209, idProductArray: [1, 2, 0x5553] })).toBe(90000);
  expect(score(device, { idVendor: 0x1209, idProductArray: [0x5500], idProductMask: 0xff00 })).toBe(89500);
  expect(score(device, { idVendor: 0x1209, idProduct: 0x5553, IOProbeScore: 500 })).toBe(90500);
  expect(score(device, { idVendor: 0x1209, idProduct: 0x5553, IOProbeScore: 20000 })).toBe(99000);
  expect(score(device, { bDeviceClass: 0, bDeviceSubClass: 0, bDeviceProtocol: 0 })).toBe(60000);
});

test('a transport.usb entitlement dictionary is compared key by key', () => {
  const r = (t: Record<string, OSValue>) => USBMatchingFamily.matchPropertyTable(device, toOSDictionary(t), 0).matched;
  expect([r({ idVendor: 0x1209 }), r({ idVendor: 0x1bcf }), r({ idVendor: 0x1209, idProduct: 0x5553 }), r({ idVendor: 0x1209, idProduct: 1 })]).toEqual([true, false, true, false]);
});
