// The networking family's host plugin (package.json "driverkit.hostPlugin"): `driverkit run` loads it.
// It makes the host the networking stack for IOUserNetworkEthernet services (each gets a TAP
// interface) and publishes an IOEthernetPort nub for each NIC a driver may drive.
import type { IOServiceHost } from '@driverkit/driverkit';
import { EthernetInterfaceKernel } from './kernel/EthernetInterfaceKernel';

export async function register(host: IOServiceHost): Promise<() => Promise<void>> {
  host.registerKernelClass('IOUserNetworkEthernet', (context) => new EthernetInterfaceKernel(context));
  return async () => {};
}
