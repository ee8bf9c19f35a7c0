import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { IODispatchQueue, OSDictionary, fromOSObject, toOSDictionary, type IOKernelServiceContext, type OSValue } from '@driverkit/driverkit';
import {
  EthernetInterfaceKernel,
  IOUserNetworkPacketBufferPool,
  IOUserNetworkRxCompletionQueue,
  IOUserNetworkRxSubmissionQueue,
  IOUserNetworkTxCompletionQueue,
  IOUserNetworkTxSubmissionQueue,
  kIOUserNetworkFamilyEntitlement,
  type IOUserNetworkPacket,
} from '../src/index';

// The stack's side with a driver that does not play by the rules: the kernel half is driven
// directly, as the host drives it for a driver process, over a real TAP.
/** The counters the kernel half published for observers, by label, while published. */
const published = new Map<string, () => Record<string, number>>();

function context(entitled = true, caller: Partial<IOKernelServiceContext['caller']> = {}): IOKernelServiceContext {
  return {
    ioClass: 'IOUserNetworkEthernet',
    properties: OSDictionary.withCapacity(0),
    entitlements: toOSDictionary(entitled ? { [kIOUserNetworkFamilyEntitlement]: true } : {}),
    caller: { key: 'test:1', onGone: () => {}, ...caller },
    log: () => {},
    counters: (label, read) => {
      published.set(label, read);
      return () => void published.delete(label);
    },
  };
}

function driverSide() {
  const queue = IODispatchQueue.Create('test');
  const pool = IOUserNetworkPacketBufferPool.Create(null, 'test', 16, 16, 2048);
  const queues = [
    IOUserNetworkRxSubmissionQueue.Create(pool, null, 8, 0, queue),
    IOUserNetworkRxCompletionQueue.Create(pool, null, 8, 0, queue),
    IOUserNetworkTxSubmissionQueue.Create(pool, null, 8, 0, queue),
    IOUserNetworkTxCompletionQueue.Create(pool, null, 8, 0, queue),
  ] as const;
  for (const q of queues) q.SetEnable(true);
  const args = (over: Record<string, OSValue> = {}) => toOSDictionary({ mac: new Uint8Array([2, 1, 2, 3, 4, 5]), pool: pool.memory.name!, queues: queues.map((q) => q.describe()) as unknown as OSValue[], headroom: 0, tailroom: 0, maxMTU: 1500, ...over });
  return { pool, queues, args };
}

const rx = (name: string, what: string) => Number(readFileSync(`/sys/class/net/${name}/statistics/${what}`, 'utf8'));
const ifindex = (name: string) => readFileSync(`/sys/class/net/${name}/ifindex`, 'utf8').trim();
// Tests of other packages run beside these and may be given the same dkN name as soon as ours is gone.
// The interface can also go between the two reads: a read that fails finds it gone.
const gone = (name: string, index: string) => {
  try {
    return !existsSync(`/sys/class/net/${name}`) || ifindex(name) !== index;
  } catch {
    return true;
  }
};
/** The kernel unregisters a TAP once its last descriptor closes, which a loaded machine may do a moment later. */
async function goneSoon(name: string, index: string, ms = 10_000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 20))) if (gone(name, index)) return true;
  return gone(name, index);
}

test('registration is refused, naming what is wrong, without the entitlement or with the wrong queues', async () => {
  const { queues, args } = driverSide();
  await expect(new EthernetInterfaceKernel(context(false)).handleRemoteCall('registerEthernetInterface', args())).rejects.toThrow(/lacks the com\.apple\.developer\.driverkit\.family\.networking entitlement/);
  const k = new EthernetInterfaceKernel(context());
  const twice = [queues[0], queues[0], queues[2], queues[3]].map((q) => q.describe()) as unknown as OSValue[];
  await expect(k.handleRemoteCall('registerEthernetInterface', args({ queues: twice }))).rejects.toThrow(/two RxSubmission queues/);
  await expect(k.handleRemoteCall('registerEthernetInterface', args({ pool: 'driverkit.1.deadbeef' }))).rejects.toThrow(/cannot open shared memory/);
  await expect(k.handleRemoteCall('registerEthernetInterface', args({ mac: new Uint8Array([1, 0, 0, 0, 0, 1]) }))).rejects.toThrow(/is a multicast address/);
  // From a driver process, the pool and queues must be that process's own memory, not another's it names.
  const other = new EthernetInterfaceKernel(context(true, { pid: process.pid + 1, uid: process.getuid!() }));
  await expect(other.handleRemoteCall('registerEthernetInterface', args())).rejects.toThrow(/was not made by the caller/);
  expect(other.interfaceName).toBeNull();
  await expect(k.handleRemoteCall('reportLinkStatus', toOSDictionary({ status: 3, media: 0 }))).rejects.toThrow(/call RegisterEthernetInterface first/);
  expect(k.interfaceName).toBeNull();
});

test('hostile RX completions (packets it does not hold, runts, oversized, out of the buffer) are counted and dropped; good frames still reach the kernel', async () => {
  const { pool, queues, args } = driverSide();
  const k = new EthernetInterfaceKernel(context());
  await k.handleRemoteCall('registerEthernetInterface', args());
  const name = k.interfaceName!;
  const index = ifindex(name);
  try {
    // A TAP that is down refuses writes; the kernel counts frames only on an interface that is up.
    execFileSync('ip', ['link', 'set', name, 'up']);
    const [rxs, rxc] = queues;
    // The stack gave the driver empty packets on RX submission.
    const empty: IOUserNetworkPacket[] = new Array(8);
    expect(rxs.DequeuePackets(empty, 8)).toBe(8);
    const [good, runt, big, outside] = empty as [IOUserNetworkPacket, IOUserNetworkPacket, IOUserNetworkPacket, IOUserNetworkPacket];
    const frame = new Uint8Array(60).fill(0xab);
    frame.set([2, 1, 2, 3, 4, 5], 0);
    good.setData(frame);
    runt.setData(frame.subarray(0, 5));
    big.setData(new Uint8Array(1800));
    outside.setData(frame);
    // A descriptor pointing past the buffer, as a hostile driver could write it.
    new DataView(pool.memory.buffer, pool.layout.descriptorOffset + outside.index * 16).setUint16(4, 2040, true);
    const before = rx(name, 'rx_packets');
    expect(rxc.EnqueuePackets([runt, big, outside, good])).toBe(4);
    // An index out of the pool, and a packet the driver never had (on TX submission's side).
    const view = new DataView(new ArrayBuffer(4));
    view.setUint32(0, 9999, true);
    rxc.source.Enqueue(4, new Uint8Array(view.buffer));
    rxc.EnqueuePacket(pool.packet(15));
    k.RxCompleted();
    expect(k.stats.rxDropped).toBe(3);
    expect(k.stats.rxDelivered).toBe(1);
    expect(k.stats.protocolErrors).toBe(2);
    expect(rx(name, 'rx_packets') - before).toBe(1);
    // What observers (driverkit explore) read: the same counts, under the interface's name.
    expect(published.get(name)!()).toEqual({ 'TX frames': k.stats.txSubmitted, 'RX frames': 1, 'RX dropped': 3 });
  } finally {
    await k.serviceEnded();
  }
  expect(published.has(name)).toBe(false);
  expect(await goneSoon(name, index)).toBe(true);
});

test('MTU and MAC changes go both ways: the kernel side\'s reach the driver as events, the driver\'s reach the interface', async () => {
  const { args } = driverSide();
  const k = new EthernetInterfaceKernel(context());
  await k.handleRemoteCall('registerEthernetInterface', args({ maxMTU: 9000 }));
  const name = k.interfaceName!;
  const sys = (f: string) => readFileSync(`/sys/class/net/${name}/${f}`, 'utf8').trim();
  try {
    expect(sys('address')).toBe('02:01:02:03:04:05');
    execFileSync('ip', ['link', 'set', name, 'address', '02:aa:bb:cc:dd:ee', 'mtu', '3000']);
    const r = await k.handleRemoteCall('nextEvents', OSDictionary.withCapacity(0));
    const events = fromOSObject(r!.getObject('events')!) as Array<Record<string, unknown>>;
    expect(events).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'mtu', value: 3000 }), { kind: 'mac', address: '02:aa:bb:cc:dd:ee' }]));
    await k.handleRemoteCall('setMTU', toOSDictionary({ mtu: 8000 }));
    await k.handleRemoteCall('setMAC', toOSDictionary({ mac: new Uint8Array([2, 9, 9, 9, 9, 9]) }));
    expect(sys('mtu')).toBe('8000');
    expect(sys('address')).toBe('02:09:09:09:09:09');
    await expect(k.handleRemoteCall('setMTU', toOSDictionary({ mtu: 9500 }))).rejects.toThrow(/9500 is outside 68–9000/);
    await expect(k.handleRemoteCall('setMAC', toOSDictionary({ mac: new Uint8Array([1, 0, 0, 0, 0, 0]) }))).rejects.toThrow(/not multicast/);
  } finally {
    await k.serviceEnded();
  }
});
