import { IOTestBench, type IOServiceHostOptions } from '@driverkit/driverkit';
import { VirtualPCIBus } from '../backend/virtual/VirtualPCIBus';
import { register } from '../plugin';

/**
 * A driver host with the PCI family on a virtual bus of its own and none of this machine's functions,
 * for a driver's tests. Attach device models to {@link pci} (`edu`, the PEX8733's, or a class of your
 * own), add driver bundles to {@link host}; `reset` unplugs every function between tests and `stop`
 * ends it all.
 */
export class PCITestBench extends IOTestBench<VirtualPCIBus> {
  /** The bench's virtual bus. */
  get pci(): VirtualPCIBus {
    return this.backend;
  }

  static async create(options: Partial<Pick<IOServiceHostOptions, 'mode' | 'log'>> = {}): Promise<PCITestBench> {
    const host = IOTestBench.newHost(options);
    const bus = new VirtualPCIBus();
    return new PCITestBench(host, bus, await register(host, { sysfs: false, virtualBus: bus }));
  }
}
