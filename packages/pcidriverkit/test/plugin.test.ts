import { IOServiceHost, kIOReturnNotReady } from '@driverkit/driverkit';
import { IOPCIDevice, VirtualPCIBus, register } from '../src/index';
import { waitFor } from './helpers';

// The plugin gives each host a virtual bus of its own (no module-wide bus): what a bench plugs into
// one host is published there and nowhere else.
test('each host has its own virtual PCI bus, from register until its stop; a host without the plugin says so', async () => {
  const hosts = [new IOServiceHost({ mode: 'in-process', log: () => {} }), new IOServiceHost({ mode: 'in-process', log: () => {} })];
  const [one, two] = hosts as [IOServiceHost, IOServiceHost];
  expect(() => VirtualPCIBus.of(one)).toThrow(expect.objectContaining({ code: kIOReturnNotReady, message: expect.stringContaining('no virtual PCI bus') }));
  const stops = [await register(one, { sysfs: false }), await register(two, { sysfs: false })];
  try {
    expect(VirtualPCIBus.of(one)).not.toBe(VirtualPCIBus.of(two));
    const unplug = await VirtualPCIBus.of(one).attach({ model: 'edu' });
    const edus = (h: IOServiceHost) => [...h.registry.entries()].filter((e) => e instanceof IOPCIDevice && e.getName() === 'pci1234,11e8');
    await waitFor(() => edus(one).length === 1);
    expect(edus(two)).toEqual([]);
    unplug();
    await waitFor(() => edus(one).length === 0);
  } finally {
    for (const stop of stops) await stop();
    for (const h of hosts) await h.stop();
  }
  expect(() => VirtualPCIBus.of(one)).toThrow(expect.objectContaining({ code: kIOReturnNotReady }));
});
