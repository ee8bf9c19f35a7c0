// The sample's hardware on the virtual bench (package.json "driverkit.virtualBench"): a PEX 8733
// switch as the PCI family models it — its virtual bridge at function 0 and two DMA channel functions
// (1 and 2; the sample drives function 1 and skips the others, as the original does).

import type { IOServiceHost } from '@driverkit/driverkit';
import { VirtualPCIBus } from '@driverkit/pcidriverkit';

/** Plugs the switch's functions in; returns what unplugs them. */
export default async function attach(host: IOServiceHost): Promise<() => void> {
  const bus = VirtualPCIBus.of(host);
  const unplug = [
    await bus.attach({ model: 'pex8733-bridge' }, { bus: 0x90, device: 0, function: 0 }),
    await bus.attach({ model: 'pex8733-dma' }, { bus: 0x90, device: 0, function: 1 }),
    await bus.attach({ model: 'pex8733-dma' }, { bus: 0x90, device: 0, function: 2 }),
  ];
  return () => unplug.forEach((u) => u());
}
