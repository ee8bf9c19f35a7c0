// The networking family's host plugin (package.json "driverkit.hostPlugin"): `driverkit run` loads it.
// It makes the host the networking stack for IOUserNetworkEthernet services (each gets a TAP
// interface) and publishes an IOEthernetPort nub for each NIC a driver may drive
// (DRIVERKIT_ETHERNET_PORTS names existing interfaces, comma-separated).
import type { IOServiceHost } from '@driverkit/driverkit';
import { EthernetInterfaceKernel } from './kernel/EthernetInterfaceKernel';
import { EthernetPortProvider } from './port/EthernetPortProvider';

let current: EthernetPortProvider | null = null;

/** The running host's port provider (to publish a port by hand), or null before `register`. */
export function ethernetPortProvider(): EthernetPortProvider | null {
  return current;
}

export async function register(host: IOServiceHost): Promise<() => Promise<void>> {
  host.registerKernelClass('IOUserNetworkEthernet', (context) => new EthernetInterfaceKernel(context));
  const provider = new EthernetPortProvider(host);
  provider.start();
  current = provider;
  return async () => {
    if (current === provider) current = null;
    await provider.stop();
  };
}
