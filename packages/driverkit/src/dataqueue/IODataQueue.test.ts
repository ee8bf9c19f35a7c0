import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import {
  IODataQueueBacklog,
  IODataQueueDispatchSource,
  IODataQueueRing,
  IODispatchQueue,
  OSAction,
  OSObject,
  kIODataQueueHeaderSize,
  kIOReturnBadArgument,
  kIOReturnError,
  kIOReturnOverrun,
  kIOReturnSuccess,
  kIOReturnUnderrun,
} from '../index';

const run = promisify(execFile);
const root = join(__dirname, '../../../..');

function ring(capacity: number): { ring: IODataQueueRing; view: DataView; bytes: Uint8Array } {
  const buffer = new ArrayBuffer(kIODataQueueHeaderSize + capacity);
  const r = new IODataQueueRing(buffer, capacity);
  r.format();
  return { ring: r, view: new DataView(buffer), bytes: new Uint8Array(buffer) };
}

const take = (r: IODataQueueRing): number[] | number => {
  let got: number[] = [];
  const status = r.dequeue((d) => (got = [...d]));
  return status === kIOReturnSuccess ? got : status;
};

describe('the ring, byte for byte', () => {
  test('an entry is a u32 size then data padded to 4, from byte 128; head and tail are offsets', () => {
    const { ring: r, view, bytes } = ring(64);
    expect(r.enqueue(3, new Uint8Array([0x61, 0x62, 0x63]))).toBe(kIOReturnSuccess);
    expect(view.getUint32(0, true)).toBe(0); // head
    expect(view.getUint32(4, true)).toBe(8); // tail: 4 + roundup4(3)
    expect(view.getUint32(128, true)).toBe(3);
    expect([...bytes.subarray(132, 135)]).toEqual([0x61, 0x62, 0x63]);
    expect(take(r)).toEqual([0x61, 0x62, 0x63]);
    expect(view.getUint32(0, true)).toBe(8);
  });

  test('a full queue keeps a gap: the tail never reaches the head', () => {
    const { ring: r, view } = ring(16);
    expect(r.enqueue(4, new Uint8Array(4))).toBe(kIOReturnSuccess);
    expect(r.enqueue(4, new Uint8Array(4))).toBe(kIOReturnSuccess);
    expect(view.getUint32(4, true)).toBe(16); // the tail may equal the size
    expect(r.enqueue(0, new Uint8Array(0))).toBe(kIOReturnOverrun);
    expect(r.needServicedCallback).toBe(true);
    expect(view.getUint8(8)).toBe(1);
    take(r);
    // Head is 8; an 8-byte entry would wrap to 0 and meet the head: refused.
    expect(r.enqueue(4, new Uint8Array(4))).toBe(kIOReturnOverrun);
    expect(r.enqueue(0, new Uint8Array(0))).toBe(kIOReturnSuccess); // 4 bytes: wraps, 4 < 8
  });

  test('wrapping leaves the padded size at the old tail as a marker; the reader follows it', () => {
    const { ring: r, view } = ring(32);
    r.enqueue(12, new Uint8Array(12).fill(1)); // 0..16
    r.enqueue(4, new Uint8Array(4).fill(2)); // 16..24
    take(r);
    expect(r.enqueue(5, new Uint8Array(5).fill(3))).toBe(kIOReturnSuccess); // 12 bytes: no room at 24, wraps
    expect(view.getUint32(128 + 24, true)).toBe(8); // the marker: roundup4(5)
    expect(view.getUint32(4, true)).toBe(12);
    expect(take(r)).toEqual([2, 2, 2, 2]);
    expect(take(r)).toEqual([3, 3, 3, 3, 3]);
    expect(take(r)).toBe(kIOReturnUnderrun);
  });

  test('an entry larger than the ring is an overrun', () => {
    const { ring: r } = ring(16);
    expect(r.enqueue(13, new Uint8Array(13))).toBe(kIOReturnOverrun);
    expect(r.enqueue(2 ** 32 - 2, new Uint8Array(0))).toBe(kIOReturnOverrun);
  });

  test('behaves as a FIFO of byte strings for any sequence of operations, at every wrap offset', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 24 }).map((n) => n * 4),
        fc.array(fc.oneof(fc.integer({ min: 0, max: 40 }), fc.constant(-1)), { maxLength: 200 }),
        (capacity, ops) => {
          const { ring: r } = ring(capacity);
          const model: number[][] = [];
          let counter = 0;
          for (const op of ops) {
            if (op < 0) {
              const got = take(r);
              if (model.length === 0) expect(got).toBe(kIOReturnUnderrun);
              else expect(got).toEqual(model.shift());
            } else {
              const data = Array.from({ length: op }, () => counter++ & 0xff);
              const fits = r.canEnqueue(op);
              const status = r.enqueue(op, Uint8Array.from(data));
              expect(status).toBe(fits ? kIOReturnSuccess : kIOReturnOverrun);
              if (status === kIOReturnSuccess) model.push(data);
            }
            expect(r.isDataAvailable()).toBe(model.length > 0);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  test('a corrupt header (from an untrusted peer) gives kIOReturnError, never an exception', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 3, maxLength: 3 }), fc.uint8Array({ minLength: 64, maxLength: 64 }), (hdr, body) => {
        const { ring: r, view, bytes } = ring(64);
        bytes.set(body, 128);
        view.setUint32(0, hdr[0]!, true);
        view.setUint32(4, hdr[1]!, true);
        view.setUint32(128, hdr[2]!, true);
        expect([kIOReturnSuccess, kIOReturnUnderrun, kIOReturnError]).toContain(r.dequeue(() => undefined));
        expect([kIOReturnSuccess, kIOReturnUnderrun, kIOReturnError]).toContain(r.peek(() => undefined));
        expect([kIOReturnSuccess, kIOReturnOverrun, kIOReturnUnderrun]).toContain(r.enqueue(8, new Uint8Array(8)));
      }),
      { numRuns: 1000 },
    );
  });
});

class Consumer extends OSObject {
  available = 0;
  serviced = 0;
  DataAvailable(_a: OSAction): void {
    this.available++;
  }
  DataServiced(_a: OSAction): void {
    this.serviced++;
  }
}

const settle = () => new Promise((r) => setTimeout(r, 5));

describe('IODataQueueDispatchSource', () => {
  test('capacity must be a positive multiple of 4', () => {
    const q = IODispatchQueue.Create('dq', 0, 0);
    expect(() => IODataQueueDispatchSource.Create(10, q)).toThrow(expect.objectContaining({ code: kIOReturnBadArgument }));
    expect(() => IODataQueueDispatchSource.Create(0, q)).toThrow(/positive multiple of 4/);
    expect(IODataQueueDispatchSource.GetDataQueueEntryHeaderSize()).toBe(4);
  });

  test('DataAvailable only on empty → non-empty; DataServiced after a dequeue once the producer found it full', async () => {
    const c = new Consumer();
    const source = IODataQueueDispatchSource.Create(16, IODispatchQueue.Create('dq', 0, 0), 'heap');
    source.SetDataAvailableHandler(OSAction.Create(c, 'DataAvailable', 0));
    source.SetDataServicedHandler(OSAction.Create(c, 'DataServiced', 0));
    expect(source.Enqueue(4, (d) => d.set([1, 2, 3, 4]))).toBe(kIOReturnSuccess);
    expect(source.Enqueue(4, (d) => d.set([5, 6, 7, 8]))).toBe(kIOReturnSuccess);
    await settle();
    expect(c.available).toBe(1);
    expect(source.Enqueue(4, new Uint8Array(4))).toBe(kIOReturnOverrun);
    await settle();
    expect(c.available).toBe(2); // a full queue prods the consumer
    let seen: number[] = [];
    expect(source.Dequeue((d) => (seen = [...d]))).toBe(kIOReturnSuccess);
    expect(seen).toEqual([1, 2, 3, 4]);
    await settle();
    expect(c.serviced).toBe(1);
    expect(source.Dequeue()).toBe(kIOReturnSuccess);
    expect(source.Dequeue()).toBe(kIOReturnUnderrun);
    await settle();
    expect(c.serviced).toBe(1);
  });

  test('a handler set while data waits is sent at once; a disabled source holds notifications', async () => {
    const c = new Consumer();
    const source = IODataQueueDispatchSource.Create(64, IODispatchQueue.Create('dq', 0, 0), 'heap');
    source.Enqueue(1, new Uint8Array(1));
    source.SetDataAvailableHandler(OSAction.Create(c, 'DataAvailable', 0));
    await settle();
    expect(c.available).toBe(1);
    source.Dequeue();
    source.SetEnable(false);
    source.Enqueue(1, new Uint8Array(1));
    await settle();
    expect(c.available).toBe(1);
    source.SetEnable(true);
    await settle();
    expect(c.available).toBe(2);
  });

  test('CreateWithMemory refuses memory that is not a data queue', () => {
    const q = IODispatchQueue.Create('dq', 0, 0);
    const a = IODataQueueDispatchSource.Create(64, q, 'heap');
    const mem = a.CopyMemory();
    new Uint8Array(mem.sharedMemory.buffer).fill(0, 12, 16);
    expect(() => IODataQueueDispatchSource.CreateWithMemory(mem, q)).toThrow('the memory does not hold a data queue made by IODataQueueDispatchSource.Create');
  });
});

describe('across threads and processes', () => {
  test('a worker thread drains a SharedArrayBuffer queue on DataAvailable', async () => {
    const producer = IODataQueueDispatchSource.Create(4096, IODispatchQueue.Create('producer', 0, 0), 'thread');
    const mem = producer.CopyMemory();
    const worker = new Worker(
      `
      const { parentPort, workerData } = require('node:worker_threads');
      const dk = require('@driverkit/driverkit');
      const memory = dk.IOBufferMemoryDescriptor.withSharedMemory(3n, dk.IOSharedMemory.fromSharedArrayBuffer(workerData));
      class Consumer extends dk.OSObject {
        constructor() { super(); this.sum = 0; this.count = 0; }
        DataAvailable() {
          while (source.Dequeue((d) => { this.sum += d[0]; this.count++; }) === 0) {}
          if (this.count >= 1000) { parentPort.postMessage({ sum: this.sum, count: this.count }); source.Cancel(); }
        }
      }
      const c = new Consumer();
      const source = dk.IODataQueueDispatchSource.CreateWithMemory(memory, dk.IODispatchQueue.Create('consumer', 0, 0));
      source.SetDataAvailableHandler(dk.OSAction.Create(c, 'DataAvailable', 0));
      parentPort.postMessage('ready');
      `,
      { eval: true, workerData: mem.sharedMemory.buffer },
    );
    const result = new Promise<{ sum: number; count: number }>((resolve, reject) => {
      worker.on('message', (m) => {
        if (m === 'ready') {
          void (async () => {
            let expected = 0;
            for (let i = 0; i < 1000; i++) {
              while (producer.Enqueue(1, new Uint8Array([i & 0xff])) !== kIOReturnSuccess) await new Promise((r) => setTimeout(r, 1));
              expected += i & 0xff;
            }
            void expected;
          })();
        } else resolve(m);
      });
      worker.on('error', reject);
    });
    const r = await result;
    await worker.terminate();
    let expected = 0;
    for (let i = 0; i < 1000; i++) expected += i & 0xff;
    expect(r).toEqual({ sum: expected, count: 1000 });
  });

  const consumerScript = `
    import { IODataQueueDispatchSource, IODispatchQueue, IOBufferMemoryDescriptor, IOSharedMemory, OSAction, OSObject } from '@driverkit/driverkit';
    const [name, total, mode] = process.argv.slice(1);
    const memory = IOBufferMemoryDescriptor.withSharedMemory(3n, IOSharedMemory.attach(name));
    const source = IODataQueueDispatchSource.CreateWithMemory(memory, IODispatchQueue.Create('consumer', 0, 0));
    if (mode === 'die-mid-read') {
      source.Dequeue(() => process.kill(process.pid, 'SIGKILL'));
    } else if (mode === 'die-mid-write') {
      source.Enqueue(4, new Uint8Array([9, 9, 9, 9]));
      source.Enqueue(1000, (d) => { d.fill(7, 0, 500); process.kill(process.pid, 'SIGKILL'); });
    } else {
      let count = 0, sum = 0;
      class Consumer extends OSObject {
        DataAvailable() {
          while (source.Dequeue((d) => { count++; sum += d.length; }) === 0) {}
          if (count >= Number(total)) { console.log(JSON.stringify({ count, sum })); source.Cancel(); process.exit(0); }
        }
      }
      source.SetDataAvailableHandler(OSAction.Create(new Consumer(), 'DataAvailable', 0));
      console.log('ready');
    }
  `;

  test('a consumer in another process reads, through wraparound, everything the producer wrote', async () => {
    const producer = IODataQueueDispatchSource.Create(1024, IODispatchQueue.Create('producer', 0, 0));
    const name = producer.CopyMemory().sharedMemory.name!;
    const child = spawn(process.execPath, ['--input-type=module', '-e', consumerScript, name, '3000'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    let sum = 0;
    for (let i = 0; i < 3000; i++) {
      const size = (i * 7) % 61;
      while (producer.Enqueue(size, (d) => d.fill(1)) !== kIOReturnSuccess) await new Promise((r) => setImmediate(r));
      sum += size;
    }
    const code = await new Promise((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    expect(JSON.parse(out.split('\n').filter((l) => l.startsWith('{'))[0]!)).toEqual({ count: 3000, sum });
    producer.Cancel();
    producer.release();
  }, 20000);

  test('a producer process killed mid-entry leaves only its complete entries; the queue stays usable', async () => {
    const consumer = IODataQueueDispatchSource.Create(4096, IODispatchQueue.Create('consumer', 0, 0));
    const name = consumer.CopyMemory().sharedMemory.name!;
    await run(process.execPath, ['--input-type=module', '-e', consumerScript, name, '0', 'die-mid-write'], { cwd: root }).catch((e) => expect(e.signal).toBe('SIGKILL'));
    let got: number[] = [];
    expect(consumer.Dequeue((d) => (got = [...d]))).toBe(kIOReturnSuccess);
    expect(got).toEqual([9, 9, 9, 9]);
    expect(consumer.IsDataAvailable()).toBe(false);
    expect(consumer.Enqueue(2, new Uint8Array([1, 2]))).toBe(kIOReturnSuccess);
    expect(consumer.Dequeue((d) => (got = [...d]))).toBe(kIOReturnSuccess);
    expect(got).toEqual([1, 2]);
  });

  test('a consumer process killed mid-read leaves the entry queued', async () => {
    const producer = IODataQueueDispatchSource.Create(4096, IODispatchQueue.Create('producer', 0, 0));
    const name = producer.CopyMemory().sharedMemory.name!;
    producer.Enqueue(3, new Uint8Array([1, 2, 3]));
    producer.Enqueue(1, new Uint8Array([4]));
    await run(process.execPath, ['--input-type=module', '-e', consumerScript, name, '0', 'die-mid-read'], { cwd: root }).catch((e) => expect(e.signal).toBe('SIGKILL'));
    let got: number[] = [];
    producer.Dequeue((d) => (got = [...d]));
    expect(got).toEqual([1, 2, 3]);
    producer.Dequeue((d) => (got = [...d]));
    expect(got).toEqual([4]);
  });
});

describe('IODataQueueBacklog: records that must not be lost to a full queue', () => {
  test('waits while the queue is full, then sends in order; clear drops what waits', async () => {
    const queue = IODispatchQueue.Create('backlog');
    const q = IODataQueueDispatchSource.Create(64, queue);
    const sent: number[] = [];
    const backlog = new IODataQueueBacklog<{ n: number; record: Uint8Array }>(q, (e) => sent.push(e.n));
    const record = (n: number) => ({ n, record: Uint8Array.of(n, n, n, n, n, n, n, n, n, n, n, n) });
    const read = () => {
      const out: number[] = [];
      while (q.Dequeue((d) => void out.push(d[0]!)) === kIOReturnSuccess);
      return out;
    };
    const one = () => {
      let n = -1;
      q.Dequeue((d) => void (n = d[0]!));
      return n;
    };
    // 64 bytes hold four 12-byte records with their 4-byte headers; the fifth waits.
    for (let n = 1; n <= 5; n++) backlog.send(record(n));
    expect(sent).toEqual([1, 2, 3, 4]);
    // Room for one again: a new record still goes after the one waiting.
    expect(one()).toBe(1);
    backlog.send(record(6));
    expect(sent).toEqual([1, 2, 3, 4]);
    const got = read();
    await new Promise((r) => setTimeout(r, 20));
    got.push(...read());
    expect(got).toEqual([2, 3, 4, 5, 6]);
    expect(sent).toEqual([1, 2, 3, 4, 5, 6]);
    // What is picked out of the waiting records (an Abort's) is handed back in order and never sent.
    for (let n = 20; n <= 27; n++) backlog.send(record(n));
    const queued = sent.filter((n) => n >= 20);
    const waiting = [20, 21, 22, 23, 24, 25, 26, 27].filter((n) => !queued.includes(n));
    expect(waiting.length).toBeGreaterThanOrEqual(3);
    expect(backlog.drop((e) => e.n % 2 === 1).map((e) => e.n)).toEqual(waiting.filter((n) => n % 2 === 1));
    const expected = [...queued, ...waiting.filter((n) => n % 2 === 0)];
    const after: number[] = [];
    for (let i = 0; i < 50 && after.length < expected.length; i++) {
      after.push(...read());
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(after).toEqual(expected);
    // What waits when the channel closes is dropped.
    for (let n = 7; n <= 12; n++) backlog.send(record(n));
    const before = [...sent];
    backlog.clear();
    read();
    await new Promise((r) => setTimeout(r, 20));
    expect(read()).toEqual([]);
    expect(sent).toEqual(before);
    expect(before.filter((n) => n >= 7 && n <= 12).length).toBeLessThan(6);
    q.Cancel();
    q.release();
    queue.release();
  });
});

test('DequeueAll takes every entry now queued, and stops once its block cancels the source', () => {
  const queue = IODispatchQueue.Create('all');
  const q = IODataQueueDispatchSource.Create(256, queue);
  for (let n = 1; n <= 5; n++) q.Enqueue(1, Uint8Array.of(n));
  const seen: number[] = [];
  expect(q.DequeueAll((d) => void seen.push(d[0]!))).toBe(5);
  expect(seen).toEqual([1, 2, 3, 4, 5]);
  expect(q.DequeueAll(() => {})).toBe(0);
  for (let n = 6; n <= 9; n++) q.Enqueue(1, Uint8Array.of(n));
  expect(
    q.DequeueAll((d) => {
      seen.push(d[0]!);
      if (d[0] === 7) q.Cancel();
    }),
  ).toBe(2);
  expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7]);
  q.release();
  queue.release();
});
