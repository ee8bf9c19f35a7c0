// The PCI family's host plugin (package.json "driverkit.hostPlugin"): `driverkit run` loads it to add
// PCI matching and to publish an IOPCIDevice nub for every function of this machine (sysfs, read only)
// and every virtual function a virtual bench plugs into the host's bus (`VirtualPCIBus.of(host)`).
import type { IOServiceHost } from '@driverkit/driverkit';
import type { PCIEnumerator } from './backend/PCIBackend';
import { SysfsPCIBackend } from './backend/sysfs/SysfsPCIBackend';
import { VirtualPCIBus } from './backend/virtual/VirtualPCIBus';
import { PCIHostController } from './host/PCIHostController';
import { PCIMatchingFamily } from './matching/PCIMatchingFamily';

export interface PCIPluginOptions {
  /** Leave this machine's own functions out (DRIVERKIT_PCI_SYSFS=0 does too). */
  sysfs?: boolean;
  /** The host's virtual bus, when the caller keeps it (a test bench); else a new one. */
  virtualBus?: VirtualPCIBus;
}

export async function register(host: IOServiceHost, options: PCIPluginOptions = {}): Promise<() => Promise<void>> {
  host.registerFamily(PCIMatchingFamily);
  // Each host its own bus: a bench plugs in through VirtualPCIBus.of(host).
  const bus = options.virtualBus ?? new VirtualPCIBus();
  VirtualPCIBus.bind(host, bus);
  const enumerators: PCIEnumerator[] = [bus];
  if (options.sysfs !== false && process.env.DRIVERKIT_PCI_SYSFS !== '0') enumerators.push(new SysfsPCIBackend());
  const controller = new PCIHostController(host, enumerators);
  controller.start();
  return async () => {
    VirtualPCIBus.bind(host, null);
    await controller.stop();
  };
}
