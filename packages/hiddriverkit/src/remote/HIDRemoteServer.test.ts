import { OSArray, OSBoolean, OSData, kIOReturnBadArgument, kIOReturnExclusiveAccess, kIOReturnNotOpen, toOSDictionary, type IORemoteCaller, type OSDictionary } from '@driverkit/driverkit';
import { VirtualHIDDevice } from '../index';
import { HIDRemoteHandle } from './HIDRemoteHandle';
import { HIDRemoteServer } from './HIDRemoteServer';

function caller(key: string): IORemoteCaller & { gone(): void } {
  const cleanups: Array<() => void> = [];
  return { key, onGone: (f) => void cleanups.push(f), gone: () => cleanups.forEach((f) => f()) };
}

test('a driver process reads queued reports, may not open twice, and what it sends is checked', async () => {
  const outputs: number[][] = [];
  const device = new VirtualHIDDevice({ vendorId: 1, productId: 2, versionNumber: 0, manufacturer: null, product: 'x', serialNumber: null, transport: 'Virtual', locationID: 0, reportDescriptor: Uint8Array.of() }, { setReport: (_t, r) => void outputs.push([...r]) });
  const server = new HIDRemoteServer(async () => device.handle(), () => null);
  const a = caller('a:1');
  const b = caller('b:2');
  const none = toOSDictionary({});
  await server.handle('open', none, a);
  await expect(server.handle('open', none, b)).rejects.toMatchObject({ code: kIOReturnExclusiveAccess, message: expect.stringContaining('open by a:1') });
  await expect(server.handle('read', none, b)).rejects.toMatchObject({ code: kIOReturnNotOpen });

  device.sendInput(Uint8Array.of(1));
  device.sendInput(Uint8Array.of(2));
  const r = (await server.handle('read', none, a))!;
  expect([...(r.getObject('reports') as OSArray)].map((d) => [...(d as OSData).getBytesNoCopy()])).toEqual([[1], [2]]);

  // A read waits for the next report.
  const waiting = server.handle('read', none, a);
  await expect(server.handle('read', none, a)).rejects.toThrow(/a read is already waiting/);
  device.sendInput(Uint8Array.of(3));
  expect([...((await waiting)!.getObject('reports') as OSArray)].length).toBe(1);

  await expect(server.handle('setReport', toOSDictionary({ type: 'input', report: Uint8Array.of(1) }), a)).rejects.toMatchObject({ code: kIOReturnBadArgument, message: expect.stringContaining('"type" must be one of output, feature') });
  await expect(server.handle('setReport', toOSDictionary({ type: 'output', report: 'x' }), a)).rejects.toMatchObject({ code: kIOReturnBadArgument, message: expect.stringContaining('HID setReport: "report" is not data') });
  await expect(server.handle('setReport', toOSDictionary({ type: 'output' }), a)).rejects.toThrow(/HID setReport: "report" is missing or not data/);
  await expect(server.handle('getReport', toOSDictionary({ type: 'feature', reportID: 300, length: 1 }), a)).rejects.toThrow(/"reportID" must be a number from 0 to 255/);
  await expect(server.handle('frobnicate', none, a)).rejects.toThrow(/no method "frobnicate"/);
  await server.handle('setReport', toOSDictionary({ type: 'output', report: Uint8Array.of(9) }), a);
  expect(outputs).toEqual([[9]]);

  // The process goes: a waiting read ends, the device is free for the next one.
  const pending = server.handle('read', none, a);
  a.gone();
  expect(((await pending)!.getObject('closed') as OSBoolean).getValue()).toBe(true);
  expect(device.isOpen()).toBe(false);
  await server.handle('open', none, b);
  expect(server.isOpen).toBe(true);
});

/** A virtual device opened by a driver process (this one, with its pid and uid), as HIDRemoteHandle opens it; the calls it made. */
async function openedByDriver() {
  const device = new VirtualHIDDevice({ vendorId: 1, productId: 2, versionNumber: 0, manufacturer: null, product: 'x', serialNumber: null, transport: 'Virtual', locationID: 0, reportDescriptor: Uint8Array.of() }, {});
  const server = new HIDRemoteServer(async () => device.handle(), () => null);
  const me = { ...caller('driver:1'), pid: process.pid, uid: process.getuid!() };
  const calls: string[] = [];
  const link = { call: (method: string, args: OSDictionary) => (calls.push(method), server.handle(method, args, me).then((r) => r ?? toOSDictionary({}))) };
  const handle = await HIDRemoteHandle.open(link);
  // Each report carries its number in its first four bytes; `got` is the numbers the driver received, in order.
  const got: number[] = [];
  handle.onInputReport((r) => got.push(new DataView(r.buffer, r.byteOffset).getUint32(0, true)));
  return { device, calls, handle, got };
}

/** Reports 0 … n−1 from the device, 64 bytes each, in one go. */
function flood(device: VirtualHIDDevice, n: number): void {
  for (let i = 0; i < n; i++) {
    const r = new Uint8Array(64);
    new DataView(r.buffer).setUint32(0, i, true);
    device.sendInput(r);
  }
}

test('a driver process gets reports through its own shared-memory queue: in order, drops counted, then the unplug', async () => {
  const { device, calls, handle, got } = await openedByDriver();
  let removed = false;
  handle.onRemoved(() => (removed = true));
  // 256 KiB of queue holds fewer than 30000 reports of 64 bytes (plus headers): the rest are dropped and counted.
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    flood(device, 30000);
    await waitFor(() => got.length > 0);
    const kept = got.length;
    expect(kept).toBeLessThan(30000);
    expect(got).toEqual(Array.from({ length: kept }, (_, i) => i));
    // Once the driver has read, the next report goes through, the drop count before it.
    device.sendInput(Uint8Array.of(0xff, 0xff, 0xff, 0x7f));
    await waitFor(() => got.length === kept + 1);
    expect(stderr).toHaveBeenCalledWith(`HID: the host dropped ${30000 - kept} input reports this driver did not read in time\n`);
  } finally {
    stderr.mockRestore();
  }
  device.remove();
  await waitFor(() => removed);
  // Reports never took the call path.
  expect(calls).toEqual(['open']);
  await handle.close();
  expect(device.isOpen()).toBe(false);
});

test('an unplug that finds the queue full still reaches the driver, after the reports before it and their drop count', async () => {
  const { device, handle, got } = await openedByDriver();
  let removedAfter = -1;
  handle.onRemoved(() => (removedAfter = got.length));
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    // The queue is full, and the device goes, before the driver has read anything.
    flood(device, 30000);
    device.remove();
    await waitFor(() => removedAfter >= 0);
    expect(removedAfter).toBe(got.length);
    expect(got).toEqual(Array.from({ length: got.length }, (_, i) => i));
    expect(stderr).toHaveBeenCalledWith(`HID: the host dropped ${30000 - got.length} input reports this driver did not read in time\n`);
  } finally {
    stderr.mockRestore();
  }
  await handle.close();
});

async function waitFor(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(ok()).toBe(true);
}
