import { kIOReturnBadArgument, kIOReturnUnsupported, toOSDictionary, type IORemoteCaller } from '@driverkit/driverkit';
import type { USBAccess } from './USBAccess';
import { USBRemoteAccess, serveUSBCall } from './USBRemoteAccess';

// A session that must not be reached: every bad call is refused before the device is touched.
const untouched = new Proxy({} as USBAccess, {
  get: (_t, name) => () => {
    throw new Error(`the session was reached (${String(name)})`);
  },
});
const caller: IORemoteCaller = { key: 'driver:1', onGone: () => {} };
const call = (method: string, args: Record<string, never | string | number | Uint8Array>) => serveUSBCall(untouched, method, toOSDictionary(args), caller);

test('hostile USB calls from a driver process are refused by name before they reach the device', async () => {
  const setup = { client: 'c', scope: 0, bmRequestType: 0x80, bRequest: 6, wValue: 0x100, wIndex: 0, wLength: 18, timeout: 0 };
  await expect(call('control', { ...setup, bmRequestType: 0x1ff })).rejects.toMatchObject({ code: kIOReturnBadArgument, message: expect.stringContaining('USB call: "bmRequestType" must be a number from 0 to 255') });
  await expect(call('control', { ...setup, wLength: 0x10000 })).rejects.toThrow('USB call: "wLength" must be a number from 0 to 65535');
  await expect(call('control', { ...setup, client: 7 })).rejects.toThrow('USB call: "client" is missing or not a string');
  await expect(call('control', { ...setup, data: 'not bytes' })).rejects.toThrow('USB call: "data" is not data');
  await expect(call('io', { client: 'c', endpoint: 0x81, length: 1 << 30, timeout: 0 })).rejects.toThrow(/a transfer of 1073741824 bytes is over the 16777216-byte limit/);
  await expect(call('getDescriptor', { type: 1, index: 0, languageID: 0, length: 0x10000, recipient: 0, wIndex: 0 })).rejects.toThrow('a descriptor is at most 65535 bytes');
  await expect(call('reboot', {})).rejects.toMatchObject({ code: kIOReturnUnsupported });
});

test('the port state crosses from the host\'s session to a driver process\'s access intact', async () => {
  const state = { type: 2, suspended: true, overcurrent: false, resetting: true };
  const session = { portState: async () => state } as unknown as USBAccess;
  const remote = new USBRemoteAccess({ call: (method, args) => serveUSBCall(session, method, args, caller).then((r) => r ?? toOSDictionary({})) });
  expect(await remote.portState()).toEqual(state);
});
