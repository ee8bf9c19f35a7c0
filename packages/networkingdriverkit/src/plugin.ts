// The networking family's host plugin (package.json "driverkit.hostPlugin"): `driverkit run` loads it.
// It makes the host the networking stack for IOUserNetworkEthernet services (each gets a TAP
// interface) and publishes an IOEthernetPort nub for each NIC a driver may drive
// (DRIVERKIT_ETHERNET_PORTS names existing interfaces, comma-separated).
import { IOHostSlot, type IOServiceHost } from '@driverkit/driverkit';
import { EthernetInterfaceKernel } from './kernel/EthernetInterfaceKernel';
import { EthernetPortProvider } from './host/EthernetPortProvider';

// Per host, not per module: two hosts in one process (tests, an embedding app) each have their own.
const slot = new IOHostSlot<EthernetPortProvider>('@driverkit/networkingdriverkit.EthernetPortProvider', 'Ethernet port provider', 'networking');

/** The host's port provider (what a virtual bench publishes its ports with); kIOReturnNotReady before `register(host)`. */
export function ethernetPortProvider(host: IOServiceHost): EthernetPortProvider {
  return slot.get(host);
}

export interface NetworkingPluginOptions {
  /** Publish the ports DRIVERKIT_ETHERNET_PORTS and DRIVERKIT_ETHERNET_REPLAYS name (default); false: only those added (a test bench). */
  fromEnvironment?: boolean;
}

export async function register(host: IOServiceHost, options: NetworkingPluginOptions = {}): Promise<() => Promise<void>> {
  host.registerKernelClass('IOUserNetworkEthernet', (context) => new EthernetInterfaceKernel(context), {
    // Until the queues are handed over by descriptor rather than by name (see the issue on the data path).
    rootReason: 'its kernel half makes the packet queues as shared memory the driver maps by name, which is root\'s (mode 0600)',
  });
  const provider = new EthernetPortProvider(host);
  provider.start({ fromEnvironment: options.fromEnvironment });
  slot.set(host, provider);
  return async () => {
    slot.set(host, null);
    await provider.stop();
  };
}
