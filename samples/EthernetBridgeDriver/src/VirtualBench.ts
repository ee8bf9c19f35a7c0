// The sample's hardware on the virtual bench (package.json "driverkit.virtualBench"): a virtual link,
// one end published as an IOEthernetPort for the driver, the other a small IPv4 host at 10.203.0.2
// that answers ARP and ping. Give the driver's TAP 10.203.0.1/24, bring it up, and ping 10.203.0.2:
// every frame crosses the driver. BRIDGE_VIRTUAL=0 leaves it out; BRIDGE_VIRTUAL_IMPAIR (JSON, e.g.
// {"loss":0.1,"delayMs":20}) impairs what the far host sends.
import type { IOServiceHost } from '@driverkit/driverkit';
import { ethernetPortProvider, VirtualEthernetHost, VirtualEthernetLink, VirtualEthernetLinkEnd, type VirtualLinkImpairments } from '@driverkit/networkingdriverkit';

export default async function attach(host: IOServiceHost): Promise<() => void> {
  if (process.env.BRIDGE_VIRTUAL === '0') return () => {};
  const ports = ethernetPortProvider(host);
  const impair = JSON.parse(process.env.BRIDGE_VIRTUAL_IMPAIR ?? '{}') as VirtualLinkImpairments;
  const link = VirtualEthernetLink.create({ b: impair });
  const end = VirtualEthernetLinkEnd.open(link.locator('b'));
  const far = new VirtualEthernetHost(end, '10.203.0.2');
  const withdraw = ports.add({ backend: 'virtual', locator: link.locator('a'), name: 'vlink0' });
  host.options.log(`virtual bench: vlink0, a virtual link to ${far} (give the driver's interface 10.203.0.1/24)`);
  return async () => {
    await withdraw();
    end.close();
    end.release();
    link.close();
  };
}
