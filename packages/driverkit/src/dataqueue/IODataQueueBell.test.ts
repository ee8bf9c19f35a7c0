import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { IOBufferMemoryDescriptor, IODataQueueDispatchSource, IODispatchQueue, IOSharedMemory, OSAction, OSObject, kIOReturnSuccess } from '../index';
import { waitFor } from '../../test/helpers';
import { bellPath } from './IODataQueueBell';
import { AVAILABLE_BELL } from './IODataQueueRing';

// Between processes a listening end hears rings through a FIFO bell its event loop watches. These
// tests run the listener in a child process on the built package, as a driver process does.
const root = join(__dirname, '../../../..');

const listenerScript = `
  import { readFile } from 'node:fs/promises';
  import { IODataQueueDispatchSource, IODispatchQueue, IOBufferMemoryDescriptor, IOSharedMemory, OSAction, OSObject } from '@driverkit/driverkit';
  const queue = IODispatchQueue.Create('listener', 0, 0);
  class Listener extends OSObject {
    constructor(index) { super(); this.index = index; }
    DataAvailable() {
      let n = 0;
      while (this.source.Dequeue(() => n++) === 0) {}
      console.log('heard ' + this.index + ' ' + n);
    }
  }
  const sources = process.argv[1].split(',').map((name, i) => {
    const source = IODataQueueDispatchSource.CreateWithMemory(IOBufferMemoryDescriptor.withSharedMemory(3n, IOSharedMemory.attach(name)), queue);
    const listener = new Listener(i);
    listener.source = source;
    source.SetDataAvailableHandler(OSAction.Create(listener, 'DataAvailable', 0));
    return source;
  });
  console.log('ready');
  // A line on stdin: read a file through the threadpool and say so (the listening queues must not hold it).
  process.stdin.on('data', () => void readFile('/proc/self/status').then(() => console.log('read')));
  process.stdin.on('end', () => { for (const s of sources) s.Cancel(); process.exit(0); });
`;

type Child = ChildProcessByStdio<Writable, Readable, null>;

function listener(names: string[], env: Record<string, string> = {}): { child: Child; lines: string[]; until(line: string, timeoutMs?: number): Promise<void> } {
  const child = spawn(process.execPath, ['--input-type=module', '-e', listenerScript, names.join(',')], { cwd: root, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: string[] = [];
  let waiting: Array<() => void> = [];
  let rest = '';
  child.stdout.on('data', (d: Buffer) => {
    const parts = (rest + d.toString()).split('\n');
    rest = parts.pop()!;
    lines.push(...parts);
    for (const w of waiting) w();
  });
  const until = (line: string, timeoutMs = 10_000) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the listener did not print "${line}" within ${timeoutMs} ms (it printed ${JSON.stringify(lines)})`)), timeoutMs);
      const check = () => {
        if (!lines.includes(line)) return;
        clearTimeout(timer);
        waiting = waiting.filter((w) => w !== check);
        resolve();
      };
      waiting.push(check);
      check();
    });
  return { child, lines, until };
}

const exited = (child: Child) => new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
const nameOf = (source: IODataQueueDispatchSource) => {
  const m = source.CopyMemory();
  const name = m.sharedMemory.name!;
  m.release();
  return name;
};
const bellWord = (source: IODataQueueDispatchSource) => {
  const m = source.CopyMemory();
  const pid = Atomics.load(new Int32Array(m.sharedMemory.buffer, 0, 32), AVAILABLE_BELL);
  m.release();
  return pid;
};
const bellsOf = (pid: number) => readdirSync('/dev/shm').filter((n) => n.startsWith(`driverkit.${pid}.bell.`));

test('a listener in another process hears forty queues through FIFO bells on its event loop, leaving the threadpool free', async () => {
  const sources = Array.from({ length: 40 }, () => IODataQueueDispatchSource.Create(256, IODispatchQueue.Create('producer', 0, 0)));
  // One threadpool thread: a futex wait per listening queue would hold it (in 500 ms slices, queue
  // after queue), and the listener's own file read would wait behind forty of them.
  const { child, until } = listener(sources.map(nameOf), { UV_THREADPOOL_SIZE: '1' });
  try {
    await until('ready');
    child.stdin.write('read\n');
    await until('read', 3000);
    expect(sources.map(bellWord)).toEqual(sources.map(() => child.pid));
    expect(bellsOf(child.pid!)).toHaveLength(40);
    sources.forEach((s, i) => expect(s.Enqueue(1 + i, (d) => d.fill(i))).toBe(kIOReturnSuccess));
    for (let i = 0; i < 40; i++) await until(`heard ${i} 1`);
    // A second round: each bell is heard again (its FIFO stays open between rings).
    for (const s of sources) s.Enqueue(4, Uint8Array.of(1, 2, 3, 4));
    await until('heard 39 1');
  } finally {
    child.stdin.end();
    await exited(child);
  }
  // Let go on Cancel, and removed at exit.
  expect(sources.map(bellWord)).toEqual(sources.map(() => 0));
  expect(bellsOf(child.pid!)).toEqual([]);
  for (const s of sources) {
    s.Cancel();
    s.release();
  }
}, 30_000);

test('a listener killed leaves its pid in the header: rings go on unharmed, and the next listener takes the bell over', async () => {
  const producer = IODataQueueDispatchSource.Create(256, IODispatchQueue.Create('producer', 0, 0));
  const name = nameOf(producer);
  const first = listener([name]);
  await first.until('ready');
  expect(bellWord(producer)).toBe(first.child.pid);
  first.child.kill('SIGKILL');
  await exited(first.child);
  // Nobody reads the bell now: the ring finds its FIFO without a reader and gives up quietly.
  expect(producer.Enqueue(3, Uint8Array.of(1, 2, 3))).toBe(kIOReturnSuccess);
  expect(bellWord(producer)).toBe(first.child.pid);
  // What the host does for a driver process that ended: its bells go with its shared memory.
  expect(IOSharedMemory.removeStale(first.child.pid!)).toEqual([bellPath(name, 'available', first.child.pid!).slice('/dev/shm/'.length)]);
  const second = listener([name]);
  try {
    // The record left queued is sent at once (SetDataAvailableHandler), then rings reach the new bell.
    await second.until('heard 0 1');
    expect(bellWord(producer)).toBe(second.child.pid);
    producer.Enqueue(1, Uint8Array.of(9));
    producer.Enqueue(1, Uint8Array.of(9));
    // The listener may drain the first before the second lands (two wake-ups) or both at once: count records.
    const heard = () => second.lines.reduce((sum, l) => sum + (l.startsWith('heard 0 ') ? Number(l.slice(8)) : 0), 0);
    await waitFor(() => heard() === 3, 10_000, 'the listener hearing the left record and both new ones');
  } finally {
    second.child.stdin.end();
    await exited(second.child);
  }
  producer.Cancel();
  producer.release();
}, 20_000);

class Counter extends OSObject {
  count = 0;
  DataAvailable(): void {
    this.count++;
  }
}

test('both ends in one process: the bell is heard, and Cancel takes the FIFO and the header word back', async () => {
  const producer = IODataQueueDispatchSource.Create(256, IODispatchQueue.Create('producer', 0, 0));
  const name = nameOf(producer);
  const consumer = IODataQueueDispatchSource.CreateWithMemory(IOBufferMemoryDescriptor.withSharedMemory(3n, IOSharedMemory.attach(name)), IODispatchQueue.Create('consumer', 0, 0));
  const counter = new Counter();
  consumer.SetDataAvailableHandler(OSAction.Create(counter, 'DataAvailable', 0));
  expect(bellWord(producer)).toBe(process.pid);
  expect(existsSync(bellPath(name, 'available', process.pid))).toBe(true);
  producer.Enqueue(1, Uint8Array.of(1));
  await waitFor(() => counter.count === 1);
  consumer.Cancel();
  expect(bellWord(producer)).toBe(0);
  expect(existsSync(bellPath(name, 'available', process.pid))).toBe(false);
  producer.Cancel();
  consumer.release();
  producer.release();
});

test('a bell path already taken (not a FIFO of ours) leaves the listener on the futex, which still hears', async () => {
  const producer = IODataQueueDispatchSource.Create(256, IODispatchQueue.Create('producer', 0, 0));
  const name = nameOf(producer);
  const path = bellPath(name, 'available', process.pid);
  closeSync(openSync(path, 'wx', 0o644));
  try {
    const consumer = IODataQueueDispatchSource.CreateWithMemory(IOBufferMemoryDescriptor.withSharedMemory(3n, IOSharedMemory.attach(name)), IODispatchQueue.Create('consumer', 0, 0));
    const counter = new Counter();
    consumer.SetDataAvailableHandler(OSAction.Create(counter, 'DataAvailable', 0));
    expect(bellWord(producer)).toBe(0);
    producer.Enqueue(1, Uint8Array.of(1));
    await waitFor(() => counter.count === 1);
    consumer.Cancel();
    consumer.release();
    // The file was not the listener's to remove.
    expect(existsSync(path)).toBe(true);
  } finally {
    unlinkSync(path);
    producer.Cancel();
    producer.release();
  }
});
