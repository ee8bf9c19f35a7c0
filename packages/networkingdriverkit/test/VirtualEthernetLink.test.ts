import { VirtualEthernetHost, VirtualEthernetLink, VirtualEthernetLinkEnd } from '../src/index';

// Both ends in this process; the link itself is process-shared memory, as it is across processes.
function frame(seq: number, length = 60): Uint8Array {
  const f = new Uint8Array(length);
  f.fill(0xff, 0, 6);
  f[12] = 0x88;
  f[13] = 0xb5;
  new DataView(f.buffer).setUint32(14, seq);
  return f;
}

/** Links a test opened and has not closed: a failed assertion must not leave one holding jest open. */
const open = new Set<() => void>();
afterEach(() => {
  for (const close of [...open]) close();
});

function pair(options: Parameters<typeof VirtualEthernetLink.create>[0] = {}) {
  const link = VirtualEthernetLink.create(options);
  const a = VirtualEthernetLinkEnd.open(link.locator('a'));
  const b = VirtualEthernetLinkEnd.open(link.locator('b'));
  const close = () => {
    if (!open.delete(close)) return;
    a.close();
    b.close();
    link.close();
  };
  open.add(close);
  return { link, a, b, close };
}

function drain(end: VirtualEthernetLinkEnd): number[] {
  const buffer = new Uint8Array(2048);
  const seqs: number[] = [];
  for (let n = end.receive(buffer, 16); n > 0; n = end.receive(buffer, 16)) seqs.push(new DataView(buffer.buffer).getUint32(16 + 14));
  return seqs;
}

test('frames cross in order both ways, into the buffer at the offset given', () => {
  const { a, b, close } = pair();
  for (let i = 0; i < 100; i++) expect(a.send(frame(i), 0, 60)).toBe(true);
  b.send(frame(7), 0, 60);
  expect(drain(b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  expect(drain(a)).toEqual([7]);
  expect(a.statistics).toMatchObject({ sent: 100, received: 1, bad: 0 });
  close();
});

test('loss, duplication and reordering follow their probabilities, the same for the same seed', () => {
  const run = (seed: number) => {
    const { a, b, close } = pair({ a: { loss: 0.2, duplicate: 0.1, seed } });
    for (let i = 0; i < 2000; i++) a.send(frame(i), 0, 60);
    const got = drain(b);
    close();
    return got;
  };
  const got = run(42);
  const unique = new Set(got);
  expect(unique.size).toBeGreaterThan(2000 * 0.75);
  expect(unique.size).toBeLessThan(2000 * 0.85);
  expect(got.length - unique.size).toBeGreaterThan(0.08 * unique.size);
  expect(run(42)).toEqual(got);
  expect(run(43)).not.toEqual(got);

  const { a, b, close } = pair({ a: { reorder: 0.5, seed: 3 } });
  for (let i = 0; i < 200; i++) a.send(frame(i), 0, 60);
  const seqs = drain(b);
  close();
  expect(seqs.length).toBeGreaterThan(190);
  expect(seqs.some((s, i) => i > 0 && s < seqs[i - 1]!)).toBe(true);
});

test('delay holds frames until they are due, then the end says it is readable', async () => {
  const { a, b, close } = pair({ a: { delayMs: 50 } });
  let readable = 0;
  b.onReadable(() => readable++);
  const sent = performance.now();
  a.send(frame(1), 0, 60);
  expect(drain(b)).toEqual([]);
  while (drain(b).length === 0) {
    expect(performance.now() - sent).toBeLessThan(2000);
    await new Promise((r) => setTimeout(r, 5));
  }
  expect(performance.now() - sent).toBeGreaterThanOrEqual(49);
  // The wake for the held frame may come after the polling above took it (a loaded machine runs the
  // poll first): it comes all the same.
  while (readable === 0) {
    expect(performance.now() - sent).toBeLessThan(2000);
    await new Promise((r) => setTimeout(r, 5));
  }
  close();
});

test('runts and oversized frames are counted and dropped, never delivered; a cut link carries nothing', () => {
  const { link, a, b, close } = pair({ mtu: 1500 });
  expect(a.send(new Uint8Array(10), 0, 10)).toBe(false);
  expect(a.send(new Uint8Array(2000), 0, 2000)).toBe(false);
  expect(a.statistics.bad).toBe(2);
  link.setCarrier(false);
  expect(a.linkUp()).toBe(false);
  expect(b.linkUp()).toBe(false);
  expect(a.send(frame(1), 0, 60)).toBe(false);
  link.setCarrier(true);
  expect(a.send(frame(2), 0, 60)).toBe(true);
  expect(drain(b)).toEqual([2]);
  close();
});

test('a locator that is not a link end is refused with a reason', () => {
  expect(() => VirtualEthernetLinkEnd.open('eth0')).toThrow(/not a link end description/);
  expect(() => VirtualEthernetLink.create({ a: { loss: 2 } })).toThrow(/loss is a probability from 0 to 1/);
});

test('the far host answers ARP for its address and ping with checksummed replies, and ignores the rest', () => {
  const { a, b, close } = pair();
  const far = new VirtualEthernetHost(b, '10.9.0.2');
  const me = [2, 0, 0, 0, 0, 1];
  // ARP who-has 10.9.0.2 tell 10.9.0.1
  const arp = Uint8Array.from([...[255, 255, 255, 255, 255, 255], ...me, 8, 6, 0, 1, 8, 0, 6, 4, 0, 1, ...me, 10, 9, 0, 1, 0, 0, 0, 0, 0, 0, 10, 9, 0, 2]);
  a.send(arp, 0, arp.length);
  // An echo request 10.9.0.1 → 10.9.0.2 (IP header checksum left 0: the far host does not check it).
  const icmp = [8, 0, 0, 0, 0x12, 0x34, 0, 1, 1, 2, 3, 4];
  const ip4 = [0x45, 0, 0, 20 + icmp.length, 0, 0, 0, 0, 64, 1, 0, 0, 10, 9, 0, 1, 10, 9, 0, 2];
  const echo = Uint8Array.from([...Array.from(b.mac), ...me, 8, 0, ...ip4, ...icmp]);
  a.send(echo, 0, echo.length);
  // Someone else's ARP.
  arp[41] = 3;
  a.send(arp, 0, arp.length);
  far.drainForTest();
  const buffer = new Uint8Array(2048);
  const replies: Uint8Array[] = [];
  for (let n = a.receive(buffer, 0); n > 0; n = a.receive(buffer, 0)) replies.push(buffer.slice(0, n));
  expect(replies).toHaveLength(2);
  const [arpReply, echoReply] = replies as [Uint8Array, Uint8Array];
  expect(Array.from(arpReply.subarray(0, 6))).toEqual(me);
  expect(arpReply[21]).toBe(2);
  expect(Array.from(arpReply.subarray(28, 32))).toEqual([10, 9, 0, 2]);
  expect(Array.from(echoReply.subarray(26, 34))).toEqual([10, 9, 0, 2, 10, 9, 0, 1]);
  expect(echoReply[34]).toBe(0);
  // Both checksums verify: the one's-complement sum over each header comes to 0xffff.
  const sum = (f: Uint8Array, from: number, to: number) => {
    let s = 0;
    for (let i = from; i < to; i += 2) s += (f[i]! << 8) | f[i + 1]!;
    while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
    return s;
  };
  expect(sum(echoReply, 14, 34)).toBe(0xffff);
  expect(sum(echoReply, 34, echoReply.length)).toBe(0xffff);
  expect(far.seen).toEqual({ frames: 3, arpRequests: 1, echoRequests: 1 });
  close();
});
