// The other end of the data-queue benchmarks: runs as a worker thread (workerData) or as a child
// process (argv), attaches to the queues the benchmark created, and produces or echoes records.
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { IOBufferMemoryDescriptor, IODataQueueDispatchSource, IODispatchQueue, IOSharedMemory, OSAction, OSObject } from '@driverkit/driverkit';

const job = isMainThread ? JSON.parse(process.argv[2]) : workerData;
// A latency peer runs on the core the benchmark gives it (see affinity.mjs).
if (job.cpu !== undefined) (await import('./affinity.mjs')).pinThread(job.cpu);
const attach = (m) => IOBufferMemoryDescriptor.withSharedMemory(3n, typeof m === 'string' ? IOSharedMemory.attach(m) : IOSharedMemory.fromSharedArrayBuffer(m));
const queue = IODispatchQueue.Create('peer', 0, 0);
const open = (m) => IODataQueueDispatchSource.CreateWithMemory(attach(m), queue);
const send = (m) => (isMainThread ? process.send(m) : parentPort.postMessage(m));

class Handlers extends OSObject {
  constructor(available, serviced) {
    super();
    this.available = available;
    this.serviced = serviced;
  }
  DataAvailable() {
    this.available();
  }
  DataServiced() {
    this.serviced();
  }
}
const on = (source, available, serviced) => {
  const h = new Handlers(available ?? (() => {}), serviced ?? (() => {}));
  if (available) source.SetDataAvailableHandler(OSAction.Create(h, 'DataAvailable', 0));
  if (serviced) source.SetDataServicedHandler(OSAction.Create(h, 'DataServiced', 0));
};

if (job.role === 'produce') {
  // Small records as fast as the consumer takes them; waits for DataServiced when full.
  const out = open(job.queue);
  const record = new Uint8Array(job.size);
  let sent = 0;
  const pump = () => {
    while (sent < job.count) {
      record[0] = sent;
      if (out.Enqueue(job.size, record) !== 0) return;
      sent++;
    }
    out.Cancel();
  };
  on(out, null, pump);
  send('ready');
  (isMainThread ? process : parentPort).once('message', pump);
} else if (job.role === 'pool') {
  // 4 KiB records passed by index: fill a free slot of the pool in place, enqueue its index.
  const full = open(job.full);
  const free = open(job.free);
  // The pool is the byte range after a data-queue header (see pooledRecords in dataqueue.bench.ts).
  const pool = new Uint32Array(typeof job.pool === 'string' ? IOSharedMemory.attach(job.pool).buffer : job.pool, 128);
  const slotWords = job.slotSize / 4;
  const index = new Uint32Array(1);
  const indexBytes = new Uint8Array(index.buffer);
  let sent = 0;
  let slot = -1;
  const take = (d) => (slot = d[0] | (d[1] << 8) | (d[2] << 16) | (d[3] << 24));
  const pump = () => {
    while (sent < job.count) {
      if (slot < 0 && free.Dequeue(take) !== 0) return;
      pool[slot * slotWords] = sent;
      index[0] = slot;
      if (full.Enqueue(4, indexBytes) !== 0) return;
      slot = -1;
      sent++;
    }
  };
  on(free, pump, null);
  on(full, null, pump);
  send('ready');
  (isMainThread ? process : parentPort).once('message', pump);
} else if (job.role === 'echo') {
  // Returns every record at once: the other half of a wake-latency round trip.
  const inbound = open(job.inbound);
  const outbound = open(job.outbound);
  const copy = (d) => outbound.Enqueue(d.length, d);
  on(inbound, () => {
    while (inbound.Dequeue(copy) === 0) {}
  }, null);
  send('ready');
} else if (job.role === 'postMessage') {
  parentPort.once('message', () => {
    const record = new Uint8Array(job.size);
    for (let i = 0; i < job.count; i++) {
      record[0] = i;
      parentPort.postMessage(record);
    }
  });
  send('ready');
} else if (job.role === 'atomicsEcho') {
  // The floor for a cross-thread wake: a thread blocked in Atomics.wait answering each ping.
  const words = new Int32Array(job.words);
  send('ready');
  for (let seen = 0; ; ) {
    Atomics.wait(words, 0, seen);
    seen = Atomics.load(words, 0);
    if (seen < 0) break;
    Atomics.store(words, 1, seen);
    Atomics.notify(words, 1);
  }
  process.exit(0);
} else if (job.role === 'atomicsAsyncEcho') {
  // The same, with the worker waiting as an event-loop thread must: Atomics.waitAsync.
  const words = new Int32Array(job.words);
  send('ready');
  setInterval(() => {}, 1 << 30); // waitAsync alone does not keep a thread's event loop alive
  let seen = 0;
  const wait = () => {
    const w = Atomics.waitAsync(words, 0, seen);
    (w.async ? w.value : Promise.resolve()).then(() => {
      seen = Atomics.load(words, 0);
      if (seen < 0) return;
      Atomics.store(words, 1, seen);
      Atomics.notify(words, 1);
      wait();
    });
  };
  wait();
}
