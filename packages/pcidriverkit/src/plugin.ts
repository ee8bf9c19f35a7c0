// The PCI family's host plugin (package.json "driverkit.hostPlugin"): `driverkit run` loads it to add
// PCI matching and to publish an IOPCIDevice nub for every function of this machine (sysfs, read only)
// and every virtual function a virtual bench plugs into `virtualPCIBus`.
import type { IOServiceHost } from '@driverkit/driverkit';
import type { PCIEnumerator } from './backend/PCIBackend';
import { SysfsPCIBackend } from './backend/sysfs/SysfsPCIBackend';
import { VirtualPCIBus } from './backend/virtual/VirtualPCIBus';
import { PCIHostController } from './host/PCIHostController';
import { PCIMatchingFamily } from './matching/PCIMatchingFamily';

/** Where virtual PCI functions are plugged in (the virtual bench, tests). */
export const virtualPCIBus = new VirtualPCIBus();

export interface PCIPluginOptions {
  /** Leave this machine's own functions out (DRIVERKIT_PCI_SYSFS=0 does too). */
  sysfs?: boolean;
}

export async function register(host: IOServiceHost, options: PCIPluginOptions = {}): Promise<() => Promise<void>> {
  host.registerFamily(PCIMatchingFamily);
  const enumerators: PCIEnumerator[] = [virtualPCIBus];
  if (options.sysfs !== false && process.env.DRIVERKIT_PCI_SYSFS !== '0') enumerators.push(new SysfsPCIBackend());
  const controller = new PCIHostController(host, enumerators);
  controller.start();
  return () => controller.stop();
}
