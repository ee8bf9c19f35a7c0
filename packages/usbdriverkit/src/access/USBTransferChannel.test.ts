import { chownSync, linkSync, unlinkSync } from 'node:fs';
import { IODataQueueDispatchSource, IODispatchQueue, IOReturnError, IOSharedMemory, OSObject, kIOReturnAborted, kIOReturnBadArgument, kIOReturnNoResources, kIOReturnNotOpen, kIOReturnNotPermitted, kIOReturnSuccess, toOSDictionary, type IORemoteCaller } from '@driverkit/driverkit';
import type { USBTransferResult } from '../backend/USBBackend';
import type { USBAccess } from './USBAccess';
import { USBRemoteAccess, serveUSBCall } from './USBRemoteAccess';
import { kUSBTransferChannelMaxBytes, kUSBTransferMaxInFlight, kUSBTransferQueueBytes, kUSBTransferRequestHeader, readCompletion, requestSize, writeControlRequest, writeRequest } from './USBTransferRecords';
import { USBTransferServer } from './USBTransferServer';

const me: IORemoteCaller = { key: 'driver:1', pid: process.pid, uid: process.getuid!(), onGone: () => {} };

/** A session stand-in: OUT transfers echo their bytes back on the next IN, reversed; `hold` keeps IN transfers pending until aborted. */
function echoSession(options: { hold?: boolean } = {}) {
  const pending = new Map<number, Array<(r: USBTransferResult) => void>>();
  const echoes: Uint8Array[] = [];
  const calls: string[] = [];
  const session = {
    async io(client: string, endpoint: number, dataOut: Uint8Array | null, lengthIn: number): Promise<USBTransferResult> {
      calls.push(`io ${client} 0x${endpoint.toString(16)}`);
      if (client !== 'driver:1/c') throw new IOReturnError(kIOReturnNotOpen, 'IO: interface 0 is not open for this client (call Open first)');
      if (!(endpoint & 0x80)) {
        echoes.push(Uint8Array.from(dataOut!).reverse());
        return { status: kIOReturnSuccess, length: dataOut!.length, data: null };
      }
      if (options.hold) return new Promise((resolve) => pending.set(endpoint, [...(pending.get(endpoint) ?? []), resolve]));
      const data = (echoes.shift() ?? new Uint8Array(0)).subarray(0, lengthIn);
      return { status: kIOReturnSuccess, length: data.length, data };
    },
    async control(client: string, scope: unknown, setup: { bmRequestType: number; wLength: number }, dataOut: Uint8Array | null): Promise<USBTransferResult> {
      calls.push(`control ${client} ${String(scope)}`);
      if (setup.bmRequestType & 0x80) {
        if (options.hold) return new Promise((resolve) => pending.set(-1, [...(pending.get(-1) ?? []), resolve]));
        const data = (echoes.shift() ?? new Uint8Array(0)).subarray(0, setup.wLength);
        return { status: kIOReturnSuccess, length: data.length, data };
      }
      echoes.push(Uint8Array.from(dataOut!).reverse());
      return { status: kIOReturnSuccess, length: dataOut!.length, data: null };
    },
    async abort(_client: string, _scope: unknown, endpoint: number | null, status: number) {
      endpoint ??= -1;
      for (const r of pending.get(endpoint!) ?? []) r({ status, length: 0, data: null });
      pending.delete(endpoint!);
    },
    async close() {},
  } as unknown as USBAccess;
  return { session, calls };
}

function linkedAccess(session: USBAccess, caller: IORemoteCaller = me) {
  return new USBRemoteAccess({ call: (method, args) => serveUSBCall(session, method, args, caller).then((r) => r ?? toOSDictionary({})) });
}

test('bulk transfers from a driver process cross shared memory, not the call path, byte for byte and past a full queue', async () => {
  const { session, calls } = echoSession();
  const remote = linkedAccess(session);
  const calledIO = jest.spyOn(remote.link, 'call');
  // 48 transfers of 64 KiB out, then 48 in: 3 MiB each way through 1 MiB queues, so both ends wait for room.
  const sent = Array.from({ length: 48 }, (_, i) => {
    const d = new Uint8Array(64 << 10);
    for (let j = 0; j < d.length; j++) d[j] = (i * 7 + j) & 0xff;
    return d;
  });
  const outs = await Promise.all(sent.map((d) => remote.io('c', 0x02, d, 0, 0)));
  expect(outs.every((r) => r.status === kIOReturnSuccess && r.length === 64 << 10 && r.data === null)).toBe(true);
  const ins = await Promise.all(sent.map(() => remote.io('c', 0x81, null, 64 << 10, 0)));
  // Compared as buffers: toEqual walks 3 MiB element by element for seconds.
  expect(ins.map((r, i) => Buffer.from(r.data!).equals(Buffer.from(sent[i]!).reverse()))).toEqual(Array(48).fill(true));
  expect(calls).toHaveLength(96);
  // One call opened the channel; no transfer took the call path.
  expect(calledIO.mock.calls.map(([m]) => m)).toEqual(['openTransferChannel']);
  // A transfer larger than the channel carries goes by call, and a refusal carries the session's message.
  await remote.io('c', 0x02, new Uint8Array(kUSBTransferChannelMaxBytes + 1), 0, 0);
  expect(calledIO.mock.calls.map(([m]) => m)).toEqual(['openTransferChannel', 'io']);
  await expect(remote.io('other', 0x81, null, 8, 0)).rejects.toMatchObject({ code: kIOReturnNotOpen, message: expect.stringContaining('not open for this client') });
  await remote.close('c', 0);
  await remote.close('other', 0);
});

test('Abort returns after the aborted transfers have completed, as in one process, called right after them', async () => {
  const { session } = echoSession({ hold: true });
  const remote = linkedAccess(session);
  const ended: number[] = [];
  // The first transfer opens the channel; the Abort comes at once, before the host has been woken for any
  // of them (and before the channel is even open): it still acts on all three, as it would in one process.
  const transfers = [0, 1, 2].map(() => remote.io('c', 0x81, null, 8, 0).then((r) => void ended.push(r.status)));
  await remote.abort('c', 0, 0x81, kIOReturnAborted);
  // Only what is already resolved runs before a nextTick queued now: no wake from the completion queue can.
  await new Promise((r) => process.nextTick(r));
  expect(ended).toEqual([kIOReturnAborted, kIOReturnAborted, kIOReturnAborted]);
  await Promise.all(transfers);
  await remote.close('c', 0);
});

test('Abort also ends the transfers still waiting in the driver for room in a full request queue', async () => {
  const { session, calls } = echoSession({ hold: true });
  const remote = linkedAccess(session);
  // The channel is open; then, in one turn, four 256 KiB OUT transfers fill the 1 MiB request queue and
  // a fifth and three held IN transfers wait in the driver's backlog, unseen by the host.
  await remote.io('c', 0x02, new Uint8Array(8), 0, 0);
  const outs = Array.from({ length: 5 }, () => remote.io('c', 0x02, new Uint8Array(kUSBTransferChannelMaxBytes), 0, 0));
  const ended: number[] = [];
  const ins = [0, 1, 2].map(() => remote.io('c', 0x81, null, 8, 0).then((r) => void ended.push(r.status)));
  await remote.abort('c', 0, 0x81, kIOReturnAborted);
  await new Promise((r) => process.nextTick(r));
  expect(ended).toEqual([kIOReturnAborted, kIOReturnAborted, kIOReturnAborted]);
  await Promise.all(ins);
  // The OUT transfers were not the Abort's: they all still went through.
  expect((await Promise.all(outs)).every((r) => r.status === kIOReturnSuccess)).toBe(true);
  expect(calls.filter((c) => c.includes('0x81'))).toEqual([]);
  await remote.close('c', 0);
});

test('control requests cross the channel too, and aborting them waits for them alone', async () => {
  const { session, calls } = echoSession();
  const remote = linkedAccess(session);
  const viaCall = jest.spyOn(remote.link, 'call');
  const out = { bmRequestType: 0x21, bRequest: 0x20, wValue: 0, wIndex: 0, wLength: 7 };
  expect(await remote.control('c', 0, out, Uint8Array.of(1, 2, 3, 4, 5, 6, 7), 0)).toEqual({ status: kIOReturnSuccess, length: 7, data: null });
  const back = await remote.control('c', 'device', { ...out, bmRequestType: 0xa1, bRequest: 0x21 }, null, 0);
  expect(back.data).toEqual(Uint8Array.of(7, 6, 5, 4, 3, 2, 1));
  expect(calls).toEqual(['control driver:1/c 0', 'control driver:1/c device']);
  expect(viaCall.mock.calls.map(([m]) => m)).toEqual(['openTransferChannel']);
  await remote.close('c', 0);

  // A held IN control request and a held interrupt read: aborting the control requests ends the first
  // and answers without waiting for the read (which only its own Abort ends).
  const held = echoSession({ hold: true });
  const r = linkedAccess(held.session);
  const ended: string[] = [];
  const request = r.control('c', 0, { ...out, bmRequestType: 0xa1 }, null, 0).then((x) => void ended.push(`control 0x${(x.status >>> 0).toString(16)}`));
  const read = r.io('c', 0x81, null, 8, 0).then((x) => void ended.push(`read 0x${(x.status >>> 0).toString(16)}`));
  await new Promise((resolve) => setTimeout(resolve, 50));
  const t0 = Date.now();
  await r.abort('c', 0, null, kIOReturnAborted);
  await new Promise((resolve) => process.nextTick(resolve));
  expect(Date.now() - t0).toBeLessThan(1000);
  expect(ended).toEqual([`control 0x${(kIOReturnAborted >>> 0).toString(16)}`]);
  await r.abort('c', 0, 0x81, kIOReturnAborted);
  await Promise.all([request, read]);
  expect(ended).toHaveLength(2);
  await r.close('c', 0);
});

test('a link with no process behind it keeps the call path', async () => {
  const { session } = echoSession();
  const remote = linkedAccess(session, { key: 'driver:1', onGone: () => {} });
  const calls = jest.spyOn(remote.link, 'call');
  await remote.io('c', 0x02, Uint8Array.of(1, 2, 3), 0, 0);
  expect((await remote.io('c', 0x81, null, 3, 0)).data).toEqual(Uint8Array.of(3, 2, 1));
  expect(calls.mock.calls.map(([m]) => m)).toEqual(['openTransferChannel', 'io', 'io']);
});

/** A hostile driver's queues: whatever records it likes, and what the host answers. */
class HostileDriver extends OSObject {
  readonly queue = IODispatchQueue.Create('HostileDriver');
  readonly requests = IODataQueueDispatchSource.Create(kUSBTransferQueueBytes, this.queue, 'process');
  readonly completions = IODataQueueDispatchSource.Create(kUSBTransferQueueBytes, this.queue, 'process');
  name(s: IODataQueueDispatchSource): string {
    const md = s.CopyMemory();
    const n = md.sharedMemory.name!;
    md.release();
    return n;
  }
  send(tag: number, endpoint: number, lengthIn: number, dataOut: Uint8Array | null, raw?: Uint8Array): void {
    const record = raw ?? new Uint8Array(kUSBTransferRequestHeader + (dataOut?.length ?? 0));
    if (!raw) writeRequest(record, tag, endpoint, lengthIn, 0, dataOut);
    this.requests.Enqueue(record.length, record);
  }
  async answers(count: number): Promise<Array<{ tag: number; status: number; message: string }>> {
    const got: Array<{ tag: number; status: number; message: string }> = [];
    for (let i = 0; i < 200 && got.length < count; i++) {
      while (this.completions.Dequeue((r) => {
        const c = readCompletion(r)!;
        got.push({ tag: c.tag, status: c.status, message: new TextDecoder().decode(c.data) });
      }) === 0);
      if (got.length < count) await new Promise((r) => setTimeout(r, 10));
    }
    return got;
  }
  close(): void {
    for (const s of [this.requests, this.completions]) {
      s.Cancel();
      s.release();
    }
    this.queue.Cancel();
  }
}

test('hostile records in a transfer channel are refused by name and never reach the session', async () => {
  const { session, calls } = echoSession({ hold: true });
  const driver = new HostileDriver();
  const server = USBTransferServer.open(session, 'driver:1/c', driver.name(driver.requests), driver.name(driver.completions), me);
  try {
    driver.send(0, 0, 0, null, new Uint8Array(5)); // too short to be a request: dropped unanswered
    driver.send(1, 0x81, 8, Uint8Array.of(1)); // IN with OUT bytes
    driver.send(2, 0x02, 8, Uint8Array.of(1)); // OUT asking for IN bytes
    driver.send(3, 0x81, kUSBTransferChannelMaxBytes + 1, null);
    driver.send(4, 0x81, 8, null); // held by the session
    driver.send(4, 0x82, 8, null); // the same tag while 4 is in flight
    const control = new Uint8Array(requestSize(Uint8Array.of(1, 2), true));
    writeControlRequest(control, 5, 0, { bmRequestType: 0x21, bRequest: 9, wValue: 0, wIndex: 0, wLength: 3 }, 0, Uint8Array.of(1, 2));
    driver.send(0, 0, 0, null, control); // an OUT control request whose data is not wLength long
    const strange = new Uint8Array(kUSBTransferRequestHeader);
    strange.set([6, 0, 0, 0, 0, 7]);
    driver.send(0, 0, 0, null, strange); // a kind no channel carries
    const refused = await driver.answers(6);
    expect(refused).toEqual([
      { tag: 1, status: kIOReturnBadArgument, message: expect.stringContaining('an IN transfer carries no OUT bytes') },
      { tag: 2, status: kIOReturnBadArgument, message: expect.stringContaining('an OUT transfer asks for no IN bytes') },
      { tag: 3, status: kIOReturnBadArgument, message: expect.stringContaining(`over the channel's ${kUSBTransferChannelMaxBytes}-byte limit`) },
      { tag: 4, status: kIOReturnBadArgument, message: expect.stringContaining('reuses a tag still in flight') },
      { tag: 5, status: kIOReturnBadArgument, message: expect.stringContaining('control transfer 5: wLength 3 does not match the OUT data (2 bytes)') },
      { tag: 6, status: kIOReturnBadArgument, message: expect.stringContaining('is of no kind a channel carries (7)') },
    ]);
    expect(calls).toEqual(['io driver:1/c 0x81']);
    // Flooding: the host keeps a bounded number in flight and refuses the rest.
    for (let t = 10; t < 10 + kUSBTransferMaxInFlight + 5; t++) driver.send(t, 0x83, 8, null);
    const flood = await driver.answers(6);
    expect(flood.map((a) => a.status)).toEqual(Array(6).fill(kIOReturnNoResources));
    expect(flood[0]!.message).toMatch(/transfers \(\d+ bytes\) are already in flight/);
  } finally {
    server.close();
    driver.close();
  }
});

test('a driver process gets a bounded number of transfer channels on a device', async () => {
  const { session } = echoSession();
  const channels = Array.from({ length: 9 }, () => new HostileDriver());
  try {
    const open = (i: number) => serveUSBCall(session, 'openTransferChannel', toOSDictionary({ client: `c${i}`, requests: channels[i]!.name(channels[i]!.requests), completions: channels[i]!.name(channels[i]!.completions) }), me);
    for (let i = 0; i < 8; i++) await open(i);
    await expect(open(8)).rejects.toMatchObject({ code: kIOReturnNoResources, message: expect.stringContaining('already has 8 transfer channels on this device') });
    // Closing one makes room.
    await serveUSBCall(session, 'close', toOSDictionary({ client: 'c0', scope: 0 }), me);
    await open(8);
  } finally {
    for (let i = 1; i < 9; i++) await serveUSBCall(session, 'close', toOSDictionary({ client: `c${i}`, scope: 0 }), me);
    for (const c of channels) c.close();
  }
});

test('a channel\'s memory must be the calling process\'s own', () => {
  const { session } = echoSession();
  const driver = new HostileDriver();
  const [requests, completions] = [driver.name(driver.requests), driver.name(driver.completions)];
  try {
    // Another process's queues (the pid in the name is not the caller's).
    expect(() => USBTransferServer.open(session, 'x', requests, completions, { ...me, pid: process.pid + 1 })).toThrow(expect.objectContaining({ code: kIOReturnNotPermitted, message: expect.stringContaining('was not made by the caller') }));
    // Memory of another account.
    expect(() => USBTransferServer.open(session, 'x', requests, completions, { ...me, uid: me.uid! + 1 })).toThrow(/is not the caller's own \(it belongs to uid \d+ with 1 link\(s\)/);
    // A second name for someone's file.
    const alias = `driverkit.${process.pid}.${'ab'.repeat(6)}`;
    linkSync(`/dev/shm/${requests}`, `/dev/shm/${alias}`);
    try {
      expect(() => IOSharedMemory.attach(alias, { owner: { pid: process.pid, uid: me.uid! } })).toThrow(/with 2 link\(s\)/);
    } finally {
      unlinkSync(`/dev/shm/${alias}`);
    }
    if (process.getuid!() === 0) {
      chownSync(`/dev/shm/${completions}`, 65534, 65534);
      expect(() => USBTransferServer.open(session, 'x', requests, completions, me)).toThrow(/belongs to uid 65534/);
    }
  } finally {
    driver.close();
  }
});
