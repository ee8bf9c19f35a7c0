import { IOReturnError, kIOReturnUnsupported } from '@driverkit/driverkit';
import type { PCIDeviceOpener } from './PCIBackend';
import { SysfsPCIBackend } from './sysfs/SysfsPCIBackend';
import { VFIOPCIBackend } from './vfio/VFIOPCIBackend';
import { VirtualPCIBackend } from './virtual/VirtualPCIBackend';

/**
 * The backends a process can open PCI functions through, by the name a nub carries in
 * `IOPCIBackend`. A nub crosses into a driver process as properties, so the driver's IOPCIDevice
 * finds its backend here by name and opens the function itself: config, BAR and interrupt traffic
 * never goes back to the host.
 */
export class PCIDeviceOpeners {
  static readonly #openers = new Map<string, PCIDeviceOpener>([
    ['sysfs', new SysfsPCIBackend()],
    ['virtual', new VirtualPCIBackend()],
    ['vfio', new VFIOPCIBackend()],
  ]);

  /** Adds a backend (a user's own, or a test's), replacing one of the same name. */
  static register(opener: PCIDeviceOpener): void {
    PCIDeviceOpeners.#openers.set(opener.name, opener);
  }

  static get(name: string): PCIDeviceOpener {
    const opener = PCIDeviceOpeners.#openers.get(name);
    if (!opener) throw new IOReturnError(kIOReturnUnsupported, `no PCI backend named "${name}" in this process (have ${[...PCIDeviceOpeners.#openers.keys()].join(', ')})`);
    return opener;
  }
}
