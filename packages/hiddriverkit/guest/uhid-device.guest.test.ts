// Guest tier: an IOUserHIDDevice published to a real kernel through /dev/uhid. The kernel makes a
// hidraw node for it; node-hid reads it back; the host's hidraw backend publishes it as an
// IOHIDInterface and the generic event driver turns its reports into key events; LED output and
// feature reports travel back to the driver's setReport and getReport.
import { join } from 'node:path';
import { HIDAsync, devicesAsync } from 'node-hid';
import { IOServiceHost, type IOService } from '@driverkit/driverkit';
import { register } from '../src/plugin';
import { loadModules } from '../../../scripts/guest/helpers/modules';
import { until } from '../test/helpers';

interface Keyboard extends IOService {
  reports: string[];
}
interface EventDriver extends IOService {
  addEventListener(l: (e: { type: string; usage?: number; value?: number }) => void): () => void;
}

test('an IOUserHIDDevice becomes a kernel HID device: hidraw, get/set report, and an event driver on its IOHIDInterface', async () => {
  loadModules('uhid', 'hid_generic');
  const host = new IOServiceHost({ mode: 'in-process' });
  const stop = await register(host);
  try {
    host.addDriverBundle(join(__dirname, '../test/fixtures/hid-device'));
    const keyboard = await until(() => host.clientsOf(host.userResources).get('IODefaultMatchCategory') as Keyboard | undefined, 10_000, 'DKVirtualKeyboard to start');
    expect((keyboard.getProperty('UHIDPhys') as unknown as { getCStringNoCopy(): string }).getCStringNoCopy()).toMatch(/driverkit\/DKVirtualKeyboard\/0x[0-9a-f]+/);

    // Read back through hidraw, as any HID program would.
    let info;
    for (let i = 0; i < 100 && !info; i++) {
      info = (await devicesAsync()).find((d) => d.vendorId === 0x1209 && d.productId === 0x4b43);
      if (!info) await new Promise((r) => setTimeout(r, 100));
    }
    expect(info).toMatchObject({ product: 'DriverKit Virtual Keyboard', serialNumber: 'DK-0001' });
    const hid = await HIDAsync.open(info!.path!);
    try {
      const report = await new Promise<Buffer>((resolve) => hid.once('data', resolve));
      expect(report.length).toBe(8);
      expect([0, 4]).toContain(report[2]);
      // A device without report IDs: Linux puts report number 0 first.
      expect([...(await hid.getFeatureReport(0, 3))]).toEqual([0, 0x44, 0x4b]);
      await hid.write([0, 0x02]); // Caps Lock on: output report (type 1), no ID
      await until(() => keyboard.reports.includes('1:0:2'), 5000, 'the LED report to reach setReport');
      await hid.sendFeatureReport([0, 7, 9]);
      await until(() => keyboard.reports.includes('2:0:7,9'), 5000, 'the feature report to reach setReport');
    } finally {
      await hid.close();
    }

    // The framework's own side: the hidraw backend publishes it, the event driver reads the keys.
    host.addDriverBundle(join(__dirname, '../test/fixtures/hid-events'));
    const driver = await until(() => {
      const nub = host.nubs().find((n) => n.getName() === 'DriverKit Virtual Keyboard');
      return nub && (host.clientsOf(nub).get('IODefaultMatchCategory') as EventDriver | undefined);
    }, 10_000, 'IOUserHIDEventDriver on the published device');
    const keys: string[] = [];
    const off = driver.addEventListener((e) => e.type === 'keyboard' && keys.push(`${e.usage!.toString(16)}=${e.value}`));
    await until(() => keys.length >= 2, 5000, 'key events from the device');
    off();
    expect(keys.slice(0, 2).sort()).toEqual(['4=0', '4=1']);
  } finally {
    await stop();
    await host.stop();
  }
  // Stopping the driver destroyed the kernel device.
  let gone = false;
  for (let i = 0; i < 50 && !gone; i++) {
    gone = !(await devicesAsync()).some((d) => d.vendorId === 0x1209 && d.productId === 0x4b43);
    if (!gone) await new Promise((r) => setTimeout(r, 100));
  }
  expect(gone).toBe(true);
});
