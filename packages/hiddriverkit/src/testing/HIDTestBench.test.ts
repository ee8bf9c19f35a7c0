import { kIOReturnNotReady } from '@driverkit/driverkit';
import { IOHIDInterface, VirtualHIDBackend as MainVirtualHIDBackend } from '@driverkit/hiddriverkit';
import { HIDTestBench, VirtualHIDBackend, VirtualHIDDevice } from '@driverkit/hiddriverkit/testing';
import { until } from '../../test/helpers';

const device = (product: string) => new VirtualHIDDevice({ vendorId: 1, productId: 2, versionNumber: 0, manufacturer: null, product, serialNumber: null, transport: 'Virtual', locationID: 0, reportDescriptor: Uint8Array.of() });

const names = (bench: HIDTestBench) =>
  bench.host
    .nubs()
    .filter((n) => n instanceof IOHIDInterface && !n.isInactive())
    .map((n) => n.getName())
    .sort();

test('each HID test bench is a host with its own virtual backend: devices, reset and stop stay with it', async () => {
  const a = await HIDTestBench.create();
  const b = await HIDTestBench.create();
  try {
    expect(VirtualHIDBackend).toBe(MainVirtualHIDBackend);
    expect(VirtualHIDBackend.of(a.host)).toBe(a.hid);
    a.hid.add(device('one'));
    a.hid.add(device('two'));
    const three = device('three');
    b.hid.add(three);
    await until(() => names(a).length === 2 && names(b).length === 1, 3000, 'the benches’ devices');
    expect(names(a)).toEqual(['one', 'two']);
    expect(names(b)).toEqual(['three']);
    a.reset();
    await until(() => names(a).length === 0, 3000, 'reset to remove a’s devices');
    expect(names(b)).toEqual(['three']);
  } finally {
    await a.stop();
    await b.stop();
  }
  expect(await b.hid.list()).toEqual([]);
  expect(() => VirtualHIDBackend.of(b.host)).toThrow(expect.objectContaining({ code: kIOReturnNotReady }));
});
