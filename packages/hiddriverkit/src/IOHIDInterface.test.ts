import { join } from 'node:path';
import { IOBufferMemoryDescriptor, IOServiceHost, kIOMemoryDirectionInOut, kIOReturnExclusiveAccess, kIOReturnNotOpen, OSAction, IOService } from '@driverkit/driverkit';
import { IOHIDInterface, VirtualHIDDevice, kIOHIDInterfaceReportBacklog, kIOHIDReportTypeFeature, kIOHIDReportTypeInput } from './index';
import { register } from './plugin';
import { VirtualHIDBackend } from './backend/virtual/VirtualHIDBackend';
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
  const path = VirtualHIDBackend.of(host).add(gadget(outputs));
  const nub = await until(() => host.nubs().find((n) => n instanceof IOHIDInterface) as IOHIDInterface | undefined, 5000, 'the nub');
  await host.whenIdle();
  expect(nub.getPath()).toBe('IOService:/Vendor Pad@42');
  const props = nub.copyProperties();
  expect(['VendorID', 'ProductID', 'PrimaryUsagePage', 'PrimaryUsage', 'MaxInputReportSize', 'MaxFeatureReportSize', 'Transport'].map((k) => String(props.getObject(k)))).toEqual(['4617', '9', '65280', '1', '2', '1', 'Virtual']);
  expect(host.explainText(nub)).toMatch(/HIDLogger\/Logger {2}score 6100 {2}wins[\s\S]*✓ IOServiceDEXTEntitlements: holds com\.apple\.developer\.driverkit\.transport\.hid/);
  const driver = host.clientsOf(nub).get('IODefaultMatchCategory')!;
  expect(driver.getName()).toBe('HIDLogger');

  VirtualHIDBackend.of(host).remove(path);
  const device = gadget(outputs);
  const path2 = VirtualHIDBackend.of(host).add(device);
  await until(() => device.isOpen(), 5000, 'the driver opening the new device');
  device.sendInput(Uint8Array.of(1, 2));
  await until(() => outputs.length === 1, 5000, 'the echoed output report');
  expect(seen).toEqual(['Stop', 'report 0 2 1,2']);
  expect(outputs).toEqual([[254, 253]]);

  // Unplugging terminates the nub; the driver's Stop closes the interface.
  VirtualHIDBackend.of(host).remove(path2);
  await until(() => seen.at(-1) === 'Stop', 5000, 'the driver stopping');
  expect(host.nubs().filter((n) => n instanceof IOHIDInterface)).toEqual([]);
  await stop();
  await host.stop();
});

test('Open is exclusive; reports need an open interface; feature reports come back by ID', async () => {
  const host = new IOServiceHost({ mode: 'in-process' });
  const stop = await register(host);
  const path = VirtualHIDBackend.of(host).add(gadget([]));
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
  VirtualHIDBackend.of(host).remove(path);
  await stop();
  await host.stop();
});

test('reports arrive in the client\'s pool buffers; with every buffer out they wait in a backlog, past it one is dropped, counted and logged once', async () => {
  const host = new IOServiceHost({ mode: 'in-process' });
  const stop = await register(host);
  const device = gadget([]);
  const path = VirtualHIDBackend.of(host).add(device);
  const nub = await until(() => host.nubs().find((n) => n instanceof IOHIDInterface) as IOHIDInterface | undefined, 5000, 'the nub');
  const got: Array<{ md: unknown; bytes: number[]; done: () => void }> = [];
  class Holder extends IOService {
    // Holds each buffer until the test lets it go, as a driver busy with a report does.
    ReportAvailable(_a: OSAction, _ts: bigint, _id: number, length: number, _type: number, report: IOBufferMemoryDescriptor): Promise<void> {
      return new Promise((done) => got.push({ md: report, bytes: [...report.readBytes(0, length)], done }));
    }
  }
  const client = new Holder();
  // A buffer that cannot hold the 2-byte input report is refused by name.
  expect(() => nub.AddReportToPool(IOBufferMemoryDescriptor.Create(kIOMemoryDirectionInOut, 1))).toThrow(/a 1-byte buffer cannot hold Vendor Pad's 2-byte input reports/);
  const pool = [IOBufferMemoryDescriptor.Create(kIOMemoryDirectionInOut, 2), IOBufferMemoryDescriptor.Create(kIOMemoryDirectionInOut, 2)];
  await nub.Open(client, 0, OSAction.Create(client, 'ReportAvailable', 0));
  for (const md of pool) nub.AddReportToPool(md);
  expect(() => nub.AddReportToPool(pool[0]!)).toThrow(/already in the pool/);
  const log = jest.spyOn(console, 'error').mockImplementation(() => {});
  // Two buffers out (the client's queue is serial: the first report is being handled, the second
  // waits in the other buffer), the backlog full, then two more than it holds: the newest are dropped.
  const sent = 2 + kIOHIDInterfaceReportBacklog + 2;
  for (let i = 1; i <= sent; i++) device.sendInput(Uint8Array.of(i & 0xff, 0));
  await until(() => got.length === 1 && nub.droppedReports === 2, 5000, 'one report handled, two dropped');
  expect(got[0]!.bytes).toEqual([1, 0]);
  expect(pool).toContain(got[0]!.md);
  expect(Number(nub.getProperty('IOHIDReportsDropped')?.toString())).toBe(2);
  expect(log.mock.calls.map((c) => String(c[0]))).toEqual([expect.stringMatching(/Vendor Pad: input reports dropped \(every pool buffer was out and 64 reports were waiting\)/)]);
  // Each returned buffer carries the next waiting report, in order, in the same two buffers.
  for (let n = 1; n < sent - 2; n++) {
    got[n - 1]!.done();
    await until(() => got.length === n + 1, 5000, `report ${n + 1}`);
    expect(got[n]!.bytes).toEqual([(n + 1) & 0xff, 0]);
    expect(pool).toContain(got[n]!.md);
  }
  // The backlog is empty again: the next report comes straight in a free buffer, and nothing more is dropped.
  got.at(-1)!.done();
  got.at(-2)!.done();
  device.sendInput(Uint8Array.of(0xee, 0));
  await until(() => got.length === sent - 1, 5000, 'the report after the backlog drained');
  expect(got.at(-1)!.bytes).toEqual([0xee, 0]);
  expect(nub.droppedReports).toBe(2);
  log.mockRestore();
  for (const g of got) g.done();
  await nub.Close(client);
  VirtualHIDBackend.of(host).remove(path);
  await stop();
  await host.stop();
});
