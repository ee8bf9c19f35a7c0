// The networking family's host plugin (package.json "driverkit.hostPlugin"): `driverkit run` loads it.
// It makes the host the networking stack for IOUserNetworkEthernet services (each gets a TAP
// interface) and publishes an IOEthernetPort nub for each NIC a driver may drive
// (DRIVERKIT_ETHERNET_PORTS names existing interfaces, comma-separated).
import type { IOServiceHost } from '@driverkit/driverkit';
import { EthernetInterfaceKernel } from './kernel/EthernetInterfaceKernel';
import { EthernetPortProvider } from './host/EthernetPortProvider';

export async function register(host: IOServiceHost): Promise<() => Promise<void>> {
  host.registerKernelClass('IOUserNetworkEthernet', (context) => new EthernetInterfaceKernel(context), {
    // Until the queues are handed over by descriptor rather than by name (see the issue on the data path).
    rootReason: 'its kernel half makes the packet queues as shared memory the driver maps by name, which is root\'s (mode 0600)',
  });
  const provider = new EthernetPortProvider(host);
  provider.start();
  EthernetPortProvider.current = provider;
  return async () => {
    if (EthernetPortProvider.current === provider) EthernetPortProvider.current = null;
    await provider.stop();
  };
}
