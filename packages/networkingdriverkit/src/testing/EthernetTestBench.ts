import { IOTestBench, type IOServiceHostOptions } from '@driverkit/driverkit';
import { VirtualEthernetLink, type VirtualEthernetLinkOptions } from '../backend/virtual/VirtualEthernetLink';
import { VirtualEthernetLinkEnd } from '../backend/virtual/VirtualEthernetLinkEnd';
import type { EthernetPortProvider } from '../host/EthernetPortProvider';
import { ethernetPortProvider, register } from '../plugin';

/** A virtual cable a bench publishes as a port: the driver opens one end, the test holds `far`. */
export interface EthernetTestLink {
  /** The port's name in the registry. */
  readonly name: string;
  /** The link itself (`setCarrier(false)` pulls the cable). */
  readonly link: VirtualEthernetLink;
  /** The far end, the network the driver's port is wired to: what the test sends and receives. */
  readonly far: VirtualEthernetLinkEnd;
  /** Withdraws the port (its driver sees it go) and closes the link. */
  remove(): Promise<void>;
}

/**
 * A driver host with the networking family publishing only the ports a test adds (none of this
 * machine's interfaces, no DRIVERKIT_ETHERNET_PORTS), for an Ethernet driver's tests. {@link addLink}
 * makes a virtual link and publishes one end as an `IOEthernetPort` nub drivers match; `reset`
 * withdraws them all between tests and `stop` ends it all. The host is the networking stack as under
 * `driverkit run`: an `IOUserNetworkEthernet` a driver starts gets a real TAP interface (root).
 */
export class EthernetTestBench extends IOTestBench<EthernetPortProvider> {
  #count = 0;

  /** The bench's port provider: `add({ backend, locator })` publishes any other port. */
  get ports(): EthernetPortProvider {
    return this.backend;
  }

  static async create(options: Partial<Pick<IOServiceHostOptions, 'mode' | 'log'>> = {}): Promise<EthernetTestBench> {
    const host = IOTestBench.newHost(options);
    const stop = await register(host, { fromEnvironment: false });
    return new EthernetTestBench(host, ethernetPortProvider(host), stop);
  }

  /** Publishes a new virtual link's near end as a port named `name` (default `vlink0`, `vlink1`, …). */
  addLink(options: VirtualEthernetLinkOptions & { name?: string } = {}): EthernetTestLink {
    const { name = `vlink${this.#count++}`, ...linkOptions } = options;
    const link = VirtualEthernetLink.create(linkOptions);
    const far = VirtualEthernetLinkEnd.open(link.locator('b'));
    const withdraw = this.ports.add({ backend: 'virtual', locator: link.locator('a'), name });
    const close = this.closeOnReset(() => {
      far.close();
      far.release();
      link.close();
    });
    return {
      name,
      link,
      far,
      remove: async () => {
        await withdraw();
        close();
      },
    };
  }
}
