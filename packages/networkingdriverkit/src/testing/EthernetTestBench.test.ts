import { IOServiceHost, OSData, kIOReturnNotReady } from '@driverkit/driverkit';
import { EthernetPortOpeners, IOEthernetPort, ethernetPortProvider } from '@driverkit/networkingdriverkit';
import { EthernetPortProvider, EthernetTestBench } from '@driverkit/networkingdriverkit/testing';
import { waitFor } from '../../../driverkit/test/helpers';

const ports = (bench: EthernetTestBench) =>
  bench.host
    .nubs()
    .filter((n): n is IOEthernetPort => n instanceof IOEthernetPort && !n.isInactive())
    .map((n) => n.getName())
    .sort();

test('each test bench publishes only the links its test adds, on its own host: the port is wired to the far end, reset withdraws and closes them, stop ends it', async () => {
  const a = await EthernetTestBench.create();
  const b = await EthernetTestBench.create();
  try {
    expect(a.ports).toBeInstanceOf(EthernetPortProvider);
    expect(ethernetPortProvider(a.host)).toBe(a.ports);
    expect(ethernetPortProvider(b.host)).not.toBe(a.ports);
    expect(ports(a)).toEqual([]);
    const one = a.addLink();
    const two = a.addLink({ name: 'uplink', mtu: 9000 });
    const three = b.addLink();
    expect(ports(a)).toEqual(['uplink', 'vlink0']);
    expect(ports(b)).toEqual(['vlink0']);

    // The nub names the link's near end: a driver opening it talks to the test's far end, both ways.
    const nub = a.host.nubs().find((n): n is IOEthernetPort => n instanceof IOEthernetPort && n.getName() === 'vlink0')!;
    const mac = nub.getProperty('IOMACAddress') as OSData;
    const near = await EthernetPortOpeners.get(String(nub.getProperty('IOEthernetPortBackend')))(String(nub.getProperty('IOEthernetPortLocator')));
    try {
      expect([...near.mac]).toEqual([...mac.getBytesNoCopy()]);
      const frame = Uint8Array.from({ length: 60 }, (_, i) => i);
      expect(near.send(frame, 0, 60, 0n)).toBe(true);
      const got = new Uint8Array(2048);
      await waitFor(() => one.far.receive(got, 0) === 60, 5000, 'the frame at the far end');
      expect([...got.subarray(0, 60)]).toEqual([...frame]);
      one.far.send(frame.reverse(), 0, 60);
      await waitFor(() => near.receive(got, 0, 0n) === 60, 5000, 'the frame at the near end');
      expect([...got.subarray(0, 60)]).toEqual([...frame]);
    } finally {
      near.close();
    }
    expect(two.far.maxFrameSize).toBeGreaterThan(9000);

    await two.remove();
    await waitFor(() => ports(a).length === 1, 5000, 'the removed link’s port to go');
    a.reset();
    await waitFor(() => ports(a).length === 0, 5000, 'reset to withdraw the rest');
    expect(one.far.linkUp()).toBe(false);
    expect(one.far.send(new Uint8Array(60), 0, 60)).toBe(false);
    expect(ports(b)).toEqual(['vlink0']);
    expect(three.far.linkUp()).toBe(true);
  } finally {
    await a.stop();
    await b.stop();
  }
  expect(() => ethernetPortProvider(a.host)).toThrow(expect.objectContaining({ code: kIOReturnNotReady }));
  const bare = new IOServiceHost({ mode: 'in-process', log: () => {} });
  expect(() => ethernetPortProvider(bare)).toThrow(expect.objectContaining({ code: kIOReturnNotReady, message: expect.stringContaining("the networking family's plugin is not registered") }));
  await bare.stop();
});
