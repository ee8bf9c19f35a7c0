import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { IOServiceHost, kIOFixedOne } from '@driverkit/driverkit';
import { IOHIDInterface, VirtualHIDDevice, encodeReport, parseReportDescriptor, register, VirtualHIDBackend, type IOHIDEvent, type IOHIDElement } from '@driverkit/hiddriverkit';
import { HIDStylusDriver } from '../src/HIDStylusDriver';

// The driver on every pen in the real descriptor collections of ../shared/data/hid: it must find the
// stylus, and a report with the tip down at the far corner must become a stylus event there.
const data = join(__dirname, '../../../../shared/data/hid');
const files = [
  ...readdirSync(join(data, 'wacom/descriptors')).map((f) => join(data, 'wacom/descriptors', f)),
  ...readdirSync(join(data, 'libinput/descriptors')).map((f) => join(data, 'libinput/descriptors', f)),
];

/** A stylus report: the first input report with a tip switch inside a Stylus collection, and its X, Y and tip. */
function stylusReport(bytes: Uint8Array) {
  const d = parseReportDescriptor(bytes);
  const inStylus = (e: IOHIDElement) => e.conformsTo(0x0d, 0x20);
  for (const r of d.reports) {
    if (r.type !== 'input') continue;
    const find = (page: number, usage: number) => r.elements.find((e) => inStylus(e) && e.getUsagePage() === page && e.getUsage() === usage && !e.isConstant());
    const [tip, x, y] = [find(0x0d, 0x42), find(0x01, 0x30), find(0x01, 0x31)];
    if (tip && x && y) return { d, r, tip, x, y, inRange: find(0x0d, 0x32) };
  }
  return null;
}

const pens = files.map((f) => ({ file: f.split('/').pop()!, bytes: readFileSync(f) })).filter((p) => stylusReport(p.bytes));

test('the collections hold pens to test on', () => {
  // Wacom's set has tablets and pen displays; libinput's has XP-Pen, Huion and I2C touchscreens with pens.
  expect(pens.length).toBeGreaterThanOrEqual(20);
});

describe.each(pens.map((p) => [p.file, p.bytes] as const))('%s', (_file, bytes) => {
  test('HIDStylusDriver finds the stylus and reports the tip at the far corner', async () => {
    const host = new IOServiceHost({ mode: 'in-process', log: () => {} });
    const stop = await register(host);
    const { d, r, tip, x, y, inRange } = stylusReport(bytes)!;
    const device = new VirtualHIDDevice({ vendorId: 1, productId: 2, versionNumber: 1, manufacturer: null, product: 'Pen', serialNumber: null, transport: 'Virtual', locationID: 0x30, reportDescriptor: bytes });
    const path = VirtualHIDBackend.of(host).add(device);
    const log = jest.spyOn(console, 'log').mockImplementation(() => {});
    try {
      let nub: IOHIDInterface | undefined;
      for (let i = 0; i < 200 && !nub; i++) {
        nub = host.nubs().find((n): n is IOHIDInterface => n instanceof IOHIDInterface && n.getName() === 'Pen');
        if (!nub) await new Promise((res) => setTimeout(res, 5));
      }
      const driver = new HIDStylusDriver();
      driver.setName('HIDStylusDriver');
      await driver.startWithProvider(nub!, null);
      expect(log).toHaveBeenCalledWith(expect.stringMatching(/HIDStylusDriver - \d+ stylus collection\(s\) found/));
      const events: IOHIDEvent[] = [];
      driver.addEventListener((e) => events.push(e));
      const values = new Map([[tip, 1], [x, x.getLogicalMax()], [y, y.getLogicalMin()]]);
      if (inRange) values.set(inRange, 1);
      device.sendInput(encodeReport(d, 'input', r.reportID, values));
      for (let i = 0; i < 200 && events.length === 0; i++) await new Promise((res) => setTimeout(res, 5));
      expect(events[0]).toMatchObject({ type: 'stylus', stylus: { x: kIOFixedOne, y: 0, inRange: true } });
      expect(events[0]!.type === 'stylus' && events[0]!.stylus.buttonState & 1).toBe(1);
    } finally {
      log.mockRestore();
      VirtualHIDBackend.of(host).remove(path);
      await stop();
      await host.stop();
    }
  });
});
