// The driver's device on the virtual bench (package.json "driverkit.virtualBench"): QEMU's edu, as
// the PCI family models it, on the virtual PCI bus. A real edu (QEMU's `-device edu` bound to
// vfio-pci) is published by the family itself: set EDU_VIRTUAL=0 to leave the model out.
import type { IOServiceHost } from '@driverkit/driverkit';
import { VirtualPCIBus } from '@driverkit/pcidriverkit';

/** Plugs the device in; returns what unplugs it. */
export default async function attach(host: IOServiceHost): Promise<() => void> {
  if (process.env.EDU_VIRTUAL === '0') return () => {};
  return VirtualPCIBus.of(host).attach({ model: 'edu' });
}
