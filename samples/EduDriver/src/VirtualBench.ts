// The sample's device on the virtual bench (package.json "driverkit.virtualBench"): QEMU's edu, as
// the PCI family's model of it, plugged into the virtual PCI bus. EDU_DMA_DELAY_MS sets how long its
// DMA engine takes (QEMU's timer is 100 ms; the bench default is 10). EDU_VIRTUAL=0 leaves it out, for
// a machine with a real edu (QEMU's `-device edu`, bound to vfio-pci), which the PCI family publishes.

import type { IOServiceHost } from '@driverkit/driverkit';
import { VirtualPCIBus } from '@driverkit/pcidriverkit';

/** Plugs the edu in; returns what unplugs it. */
export default async function attach(host: IOServiceHost): Promise<() => void> {
  if (process.env.EDU_VIRTUAL === '0') return () => {};
  return VirtualPCIBus.of(host).attach({ model: 'edu', options: { dmaDelayMs: Number(process.env.EDU_DMA_DELAY_MS ?? 10) } });
}
