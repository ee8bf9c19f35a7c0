import { OSArray, OSBoolean, OSData, kIOReturnBadArgument, kIOReturnExclusiveAccess, kIOReturnNotOpen, toOSDictionary, type IORemoteCaller } from '@driverkit/driverkit';
import { VirtualHIDDevice } from '../index';
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
