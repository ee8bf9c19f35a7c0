// Guest tier: `node-hid` against a real hidraw device on a real kernel — made through uhid from a
// report descriptor. Proves the library path the hidraw backend is built on, both directions.
import { HIDAsync, devicesAsync } from 'node-hid';
import { UhidDevice } from '../../../scripts/guest/helpers/UhidDevice';

// A vendor-defined device with an 8-byte input report and an 8-byte output report, no report ids.
const descriptor = Uint8Array.from([
  0x06, 0x00, 0xff, // Usage Page (Vendor Defined 0xFF00)
  0x09, 0x01, //       Usage (1)
  0xa1, 0x01, //       Collection (Application)
  0x15, 0x00, //         Logical Minimum (0)
  0x26, 0xff, 0x00, //   Logical Maximum (255)
  0x75, 0x08, //         Report Size (8)
  0x95, 0x08, //         Report Count (8)
  0x09, 0x02, //         Usage (2)
  0x81, 0x02, //         Input (Data, Variable, Absolute)
  0x09, 0x03, //         Usage (3)
  0x91, 0x02, //         Output (Data, Variable, Absolute)
  0xc0, //             End Collection
]);

let uhid: UhidDevice;

beforeAll(() => {
  uhid = UhidDevice.create({ name: 'DriverKit uhid test', vendor: 0x1209, product: 0x0002, reportDescriptor: descriptor });
});

afterAll(() => uhid?.destroy());

/** The node-hid device with this VID:PID, once the kernel has made it (up to 10 s). */
async function hidDevice(vendorId: number, productId: number) {
  for (let i = 0; i < 100; i++) {
    const info = (await devicesAsync()).find((d) => d.vendorId === vendorId && d.productId === productId);
    if (info) return info;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no HID device ${vendorId.toString(16)}:${productId.toString(16)} within 10 s`);
}

test('node-hid reads the input reports uhid sends and uhid receives the output reports node-hid writes', async () => {
  const info = await hidDevice(0x1209, 0x0002);
  const device = await HIDAsync.open(info.path!);
  try {
    const report = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    const got = new Promise<Buffer>((resolve) => device.once('data', resolve));
    uhid.sendInput(report);
    expect([...(await got)]).toEqual([...report]);

    await device.write([0x00, 9, 8, 7, 6, 5, 4, 3, 2]);
    const out = await uhid.nextOutput();
    expect([...out].slice(-8)).toEqual([9, 8, 7, 6, 5, 4, 3, 2]);
  } finally {
    await device.close();
  }
});

test('a USB HID gadget (configfs hid function) reaches node-hid through usbhid, and back through /dev/hidg0', async () => {
  const { UsbGadget } = await import('../../../scripts/guest/helpers/UsbGadget');
  const { waitForPath } = await import('../../../scripts/guest/helpers/modules');
  const { openSync, writeSync, read, closeSync } = await import('node:fs');
  const gadget = UsbGadget.create({
    name: 'dk_hid',
    idVendor: 0x1209,
    idProduct: 0x0004,
    product: 'DriverKit HID gadget',
    functions: [{ name: 'hid.usb0', attributes: { protocol: '0', subclass: '0', report_length: '8', report_desc: Buffer.from(descriptor) } }],
  });
  try {
    await waitForPath('/dev/hidg0');
    const info = await hidDevice(0x1209, 0x0004);
    const device = await HIDAsync.open(info.path!);
    const hidg = openSync('/dev/hidg0', 'r+');
    try {
      const got = new Promise<Buffer>((resolve) => device.once('data', resolve));
      writeSync(hidg, Buffer.from([8, 7, 6, 5, 4, 3, 2, 1]));
      expect([...(await got)]).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
      const fromHost = new Promise<Buffer>((resolve) => {
        const b = Buffer.alloc(8);
        read(hidg, b, 0, 8, null, () => resolve(b));
      });
      await device.write([0x00, 1, 1, 2, 3, 5, 8, 13, 21]);
      expect([...(await fromHost)]).toEqual([1, 1, 2, 3, 5, 8, 13, 21]);
    } finally {
      await device.close();
      closeSync(hidg);
    }
  } finally {
    gadget.remove();
  }
});

test('the hidraw backend finds a uhid device, reads its descriptor from sysfs, and carries reports both ways', async () => {
  const { HIDRawBackend } = await import('../src/index');
  const backend = await HIDRawBackend.create();
  let d;
  for (let i = 0; i < 100 && !d; i++) {
    d = (await backend.list()).find((x) => x.vendorId === 0x1209 && x.productId === 0x0002);
    if (!d) await new Promise((r) => setTimeout(r, 100));
  }
  expect(d).toBeDefined();
  expect([...d!.reportDescriptor]).toEqual([...descriptor]);
  expect(d!.transport).toBe('USB');
  const h = await backend.open(d!.path);
  try {
    const got = new Promise<Uint8Array>((resolve) => h.onInputReport(resolve));
    uhid.sendInput(Uint8Array.of(11, 12, 13, 14, 15, 16, 17, 18));
    expect([...(await got)]).toEqual([11, 12, 13, 14, 15, 16, 17, 18]);
    await h.setReport('output', Uint8Array.of(21, 22, 23, 24, 25, 26, 27, 28));
    expect([...(await uhid.nextOutput())].slice(-8)).toEqual([21, 22, 23, 24, 25, 26, 27, 28]);
  } finally {
    await h.close();
  }
});

test('end to end: the host publishes the hidraw device, a HID driver in its own process opens it and answers its reports', async () => {
  const { IOServiceHost } = await import('@driverkit/driverkit');
  const { register } = await import('../src/plugin');
  const { join } = await import('node:path');
  const lines: string[] = [];
  const host = new IOServiceHost({ log: (l) => lines.push(l) });
  const stop = await register(host);
  try {
    host.addDriverBundle(join(__dirname, '../test/fixtures/hid-driver'));
    for (let i = 0; i < 100 && !lines.some((l) => l.startsWith('started HIDLogger')); i++) await new Promise((r) => setTimeout(r, 100));
    if (!lines.some((l) => l.startsWith('started HIDLogger'))) throw new Error(lines.join('\n'));
    expect(lines.find((l) => l.startsWith('started HIDLogger'))).toMatch(/on DriverKit uhid test .*pid \d+/);
    uhid.sendInput(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8));
    const out = await uhid.nextOutput();
    expect([...out].slice(-8)).toEqual([254, 253, 252, 251, 250, 249, 248, 247]);
  } finally {
    await stop();
    await host.stop();
  }
});
