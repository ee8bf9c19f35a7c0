import { join } from 'node:path';
import { IOBufferMemoryDescriptor, IOServiceHost, kIOMemoryDirectionInOut, kIOReturnExclusiveAccess, kIOReturnNotOpen, OSAction, IOService } from '@driverkit/driverkit';
import { IOHIDInterface, VirtualHIDDevice, kIOHIDReportTypeFeature, kIOHIDReportTypeInput } from './index';
import { register, virtualHIDBackend } from './plugin';
import { until } from '../test/helpers';

const seen = ((globalThis as { __hidSeen?: string[] }).__hidSeen ??= []);

// A vendor-page device: 2-byte input and output reports, a 1-byte feature report.
const descriptor = Uint8Array.from([0x06, 0x00, 0xff, 0x09, 0x01, 0xa1, 0x01, 0x15, 0x00, 0x26, 0xff, 0x00, 0x75, 0x08, 0x95, 0x02, 0x09, 0x02, 0x81, 0x02, 0x09, 0x03, 0x91, 0x02, 0x95, 0x01, 0x09, 0x04, 0xb1, 0x02, 0xc0]);

function gadget(outputs: number[][]) {
  return new VirtualHIDDevice(
    { vendorId: 0x1209, productId: 9, versionNumber: 1, manufacturer: 'DK', product: 'Vendor Pad', serialNumber: 'V1', transport: 'Virtual', locationID: 0x42, reportDescriptor: descriptor },
    { setReport: (_t, r) => void outputs.push([...r]), getReport: () => Uint8Array.of(77) },
  );
}

test('the plugin publishes an IOHIDInterface nub with Apple\'s keys, and a matched driver drives it in-process', async () => {
  seen.length = 0;
  const host = new IOServiceHost({ mode: 'in-process' });
  const stop = await register(host);
  host.addDriverBundle(join(__dirname, '../test/fixtures/hid-driver'));
  const outputs: number[][] = [];
  const path = virtualHIDBackend.add(gadget(outputs));
  const nub = await until(() => host.nubs().find((n) => n instanceof IOHIDInterface) as IOHIDInterface | undefined, 5000, 'the nub');
  await host.whenIdle();
  expect(nub.getPath()).toBe('IOService:/Vendor Pad@42');
  const props = nub.copyProperties();
  expect(['VendorID', 'ProductID', 'PrimaryUsagePage', 'PrimaryUsage', 'MaxInputReportSize', 'MaxFeatureReportSize', 'Transport'].map((k) => String(props.getObject(k)))).toEqual(['4617', '9', '65280', '1', '2', '1', 'Virtual']);
  expect(host.explainText(nub)).toMatch(/HIDLogger\/Logger {2}score 6100 {2}wins[\s\S]*✓ IOServiceDEXTEntitlements: holds com\.apple\.developer\.driverkit\.transport\.hid/);
  const driver = host.clientsOf(nub).get('IODefaultMatchCategory')!;
  expect(driver.getName()).toBe('HIDLogger');

  virtualHIDBackend.remove(path);
  const device = gadget(outputs);
  const path2 = virtualHIDBackend.add(device);
  await until(() => device.isOpen(), 5000, 'the driver opening the new device');
  device.sendInput(Uint8Array.of(1, 2));
  await until(() => outputs.length === 1, 5000, 'the echoed output report');
  expect(seen).toEqual(['Stop', 'report 0 2 1,2']);
  expect(outputs).toEqual([[254, 253]]);

  // Unplugging terminates the nub; the driver's Stop closes the interface.
  virtualHIDBackend.remove(path2);
  await until(() => seen.at(-1) === 'Stop', 5000, 'the driver stopping');
  expect(host.nubs().filter((n) => n instanceof IOHIDInterface)).toEqual([]);
  await stop();
  await host.stop();
});

test('Open is exclusive; reports need an open interface; feature reports come back by ID', async () => {
  const host = new IOServiceHost({ mode: 'in-process' });
  const stop = await register(host);
  const path = virtualHIDBackend.add(gadget([]));
  const nub = await until(() => host.nubs().find((n) => n instanceof IOHIDInterface) as IOHIDInterface | undefined, 5000, 'the nub');
  class Client extends IOService {
    ReportAvailable(): void {}
  }
  const a = new Client();
  const b = new Client();
  await expect(nub.GetReport(kIOHIDReportTypeFeature, 0)).rejects.toMatchObject({ code: kIOReturnNotOpen });
  await nub.Open(a, 0, OSAction.Create(a, 'ReportAvailable', 0));
  await expect(nub.Open(b, 0, null)).rejects.toMatchObject({ code: kIOReturnExclusiveAccess });
  expect([...(await nub.GetReport(kIOHIDReportTypeFeature, 0))]).toEqual([77]);
  // Apple's form: into a memory descriptor, resolving with the length.
  const md = IOBufferMemoryDescriptor.Create(kIOMemoryDirectionInOut, 4);
  expect(await nub.GetReport(md, kIOHIDReportTypeFeature, 0)).toBe(1);
  expect([...md.readBytes(0, 1)]).toEqual([77]);
  await expect(nub.SetReport(Uint8Array.of(1, 2), kIOHIDReportTypeInput, 0)).rejects.toThrow(/input reports come from the device/);
  expect(nub.getElements().map((e) => e.getUsage())).toEqual([1, 2, 2, 3, 3, 4]); // the application collection, then its fields
  await nub.Close(a);
  virtualHIDBackend.remove(path);
  await stop();
  await host.stop();
});
