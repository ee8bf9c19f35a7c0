import { kIOReturnNotReady, type IOService } from '@driverkit/driverkit';
import { IOPCIDevice, VirtualPCIBus as MainVirtualPCIBus } from '@driverkit/pcidriverkit';
import { PCITestBench, VirtualPCIBus } from '@driverkit/pcidriverkit/testing';
import { waitFor } from '../../test/helpers';

const functions = (bench: PCITestBench) =>
  [...bench.host.registry.entries()]
    .filter((e): e is IOPCIDevice => e instanceof IOPCIDevice && !(e as IOService).isInactive())
    .map((e) => e.getName())
    .sort();

test('each test bench is a host on its own virtual PCI bus, without this machine’s functions: functions, reset and stop stay with it', async () => {
  const a = await PCITestBench.create();
  const b = await PCITestBench.create();
  try {
    // The testing entry and the package's main entry are one class: a bench's bus is the host's.
    expect(VirtualPCIBus).toBe(MainVirtualPCIBus);
    expect(VirtualPCIBus.of(a.host)).toBe(a.pci);
    expect(VirtualPCIBus.of(b.host)).toBe(b.pci);
    await a.pci.attach({ model: 'edu' });
    await a.pci.attach({ model: 'pex8733-dma' }, { function: 1 });
    await b.pci.attach({ model: 'edu' });
    await waitFor(() => functions(a).length === 2 && functions(b).length === 1, 3000, 'the benches’ functions');
    expect(functions(a)).toEqual(['pci10b5,87d0', 'pci1234,11e8']);
    expect(functions(b)).toEqual(['pci1234,11e8']);
    a.reset();
    await waitFor(() => functions(a).length === 0, 3000, 'reset to unplug a’s functions');
    expect(functions(b)).toEqual(['pci1234,11e8']);
  } finally {
    await a.stop();
    await b.stop();
  }
  expect(b.pci.list()).toEqual([]);
  expect(() => VirtualPCIBus.of(a.host)).toThrow(expect.objectContaining({ code: kIOReturnNotReady, message: expect.stringContaining("the PCI family's plugin is not registered on it") }));
});
