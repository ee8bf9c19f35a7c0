/**
 * Load: 100 apps (4 processes × 25 connections, each its own socket to the host) calling NullDriver's
 * CheckedScalar back to back for LOAD_SECONDS (5 in npm test, 60 in `npm run reliability`), through
 * `driverkit run samples/NullDriver` as a user starts it. Every answer is checked; throughput, latency
 * percentiles, errors, and the host's and driver's memory trend are recorded.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IODataQueueDispatchSource, IODispatchQueue, IOMainPortCreate, IORegistryEntryCreateCFProperties, IOServiceGetMatchingService, IOServiceNameMatching, kIOReturnSuccess } from '@driverkit/driverkit';
import { record } from '../results.cjs';
import { CLIHost } from './CLIHost';

const seconds = Number(process.env.LOAD_SECONDS ?? 5);
const processes = 4;
const perProcess = 25;
const root = join(__dirname, '../../..');
const sample = join(root, 'samples/NullDriver');

const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

/** Least-squares slope of `ys` over `xs`. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den ? num / den : 0;
}

/**
 * The resident memory of some processes, sampled once a second while a load runs. Its trend is taken
 * after the first fifth (start-up allocation), in MiB per minute; flat means under 32 MiB/min for each,
 * room for the GC's own swings, and is judged only on runs of 20 s or more.
 */
class RSSTrend {
  readonly #samples: Array<{ t: number; rss: Record<string, number> }> = [];
  readonly #t0 = Date.now();
  readonly #timer: NodeJS.Timeout;

  constructor(readonly pids: Record<string, number>) {
    this.#timer = setInterval(() => this.#samples.push({ t: (Date.now() - this.#t0) / 1000, rss: Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, rssMiB(pid)])) }), 1000);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  #steady() {
    return this.#samples.slice(Math.floor(this.#samples.length / 5));
  }

  trend(name: string): number {
    const steady = this.#steady();
    return slope(steady.map((x) => x.t), steady.map((x) => x.rss[name]!)) * 60;
  }

  /** `first→last MiB (±trend MiB/min)` for each process, named. */
  describe(): string {
    const steady = this.#steady();
    return Object.keys(this.pids)
      .map((k) => `${k} ${steady[0]?.rss[k]!.toFixed(0)}→${steady.at(-1)?.rss[k]!.toFixed(0)} MiB (${this.trend(k) >= 0 ? '+' : ''}${this.trend(k).toFixed(1)} MiB/min)`)
      .join(', ');
  }

  flat(): boolean {
    return seconds < 20 || Object.keys(this.pids).every((k) => this.trend(k) < 32);
  }
}

test(`${processes * perProcess} apps on NullDriver's user client for ${seconds} s: every answer right, no errors, memory flat`, async () => {
  const socketPath = join(mkdtempSync(join(tmpdir(), 'dk-load-')), 'host.sock');
  const host = await CLIHost.start(sample, socketPath, { keep: 4000 });
  const workers: ChildProcess[] = [];
  try {
    const port = IOMainPortCreate(socketPath);
    let driverPid = 0;
    for (const until = Date.now() + 20_000; !driverPid; await new Promise((r) => setTimeout(r, 50))) {
      if (Date.now() > until) throw new Error(`NullDriver did not start:\n${host.output}`);
      const s = await IOServiceGetMatchingService(port, IOServiceNameMatching('NullDriver'));
      const pid = s ? (await IORegistryEntryCreateCFProperties(s)).getObject('IOUserServerPID') : null;
      driverPid = pid ? Number(pid.toString()) : 0;
    }
    port.close();

    const results: string[] = [];
    let ready = 0;
    for (let i = 0; i < processes; i++) {
      const w = spawn(process.execPath, [join(__dirname, '../load-client.mjs'), socketPath, String(perProcess), String(seconds)], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      w.stdout!.on('data', (d) => {
        out += d;
        if (out.startsWith('ready\n') && !(w as { counted?: boolean }).counted) ((w as { counted?: boolean }).counted = true), ready++;
      });
      w.on('exit', () => results.push(out.slice(out.indexOf('\n') + 1)));
      workers.push(w);
    }
    // Memory, sampled once a second while the load runs.
    for (const until = Date.now() + 30_000; ready < processes; await new Promise((r) => setTimeout(r, 20))) if (Date.now() > until) throw new Error('the load clients did not connect');
    const memory = new RSSTrend({ host: host.pid, driver: driverPid });
    await Promise.all(workers.map((w) => (w.exitCode !== null ? null : new Promise((r) => w.once('exit', r)))));
    memory.stop();

    let calls = 0;
    let wrong = 0;
    const errors: Record<string, number> = {};
    const histogram = new Map<number, number>();
    for (const r of results) {
      const o = JSON.parse(r) as { calls: number; wrong: number; errors: Record<string, number>; histogram: [number, number][] };
      calls += o.calls;
      wrong += o.wrong;
      for (const [k, v] of Object.entries(o.errors)) errors[k] = (errors[k] ?? 0) + v;
      for (const [b, n] of o.histogram) histogram.set(b, (histogram.get(b) ?? 0) + n);
    }
    const sorted = [...histogram].sort((a, b) => a[0] - b[0]);
    const percentile = (p: number) => {
      let seen = 0;
      for (const [b, n] of sorted) if ((seen += n) >= p * calls) return b / 100;
      return NaN;
    };
    const errorCount = Object.values(errors).reduce((a, b) => a + b, 0);
    const figures = `${calls} calls, ${Math.round(calls / seconds)}/s; p50 ${percentile(0.5).toFixed(2)} ms, p99 ${percentile(0.99).toFixed(2)} ms; ${wrong} wrong answers, ${errorCount} errors${errorCount ? ` (${JSON.stringify(errors)})` : ''}; RSS ${memory.describe()}; host log ${(host.bytes / 2 ** 20).toFixed(0)} MiB`;
    process.stdout.write(`load: ${figures}\n`);
    const flat = memory.flat();
    const held = calls > 0 && wrong === 0 && errorCount === 0 && flat;
    record({ area: 'load', check: `${processes * perProcess} apps calling NullDriver's CheckedScalar back to back`, count: seconds, of: 'seconds', outcome: held ? 'held' : 'FAILED', figures });
    expect({ wrong, errors }).toEqual({ wrong: 0, errors: {} });
    expect(calls).toBeGreaterThan(0);
    expect(flat).toBe(true);
  } finally {
    for (const w of workers) w.kill('SIGKILL');
    await host.stop();
  }
}, 90_000 + seconds * 1000);

test(`a data queue at full rate for ${seconds} s, producer here and consumer in another process: every record in order and intact, memory flat`, async () => {
  const producer = IODataQueueDispatchSource.Create(64 * 1024, IODispatchQueue.Create('producer', 0, 0));
  // CopyMemory hands out a reference of its own: released below, or the region outlives the test.
  const memory = producer.CopyMemory();
  const name = memory.sharedMemory.name!;
  const consumer = spawn(process.execPath, [join(__dirname, '../queue-consumer.mjs'), name], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  consumer.stdout!.on('data', (d) => (out += d));
  try {
    for (const until = Date.now() + 20_000; !out.startsWith('ready'); await new Promise((r) => setTimeout(r, 10))) if (Date.now() > until || consumer.exitCode !== null) throw new Error(`the consumer did not start: ${out}`);
    const memory = new RSSTrend({ producer: process.pid, consumer: consumer.pid! });
    let seq = 0;
    let full = 0;
    const fill = (d: Uint8Array) => {
      const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
      v.setUint32(0, seq, true);
      v.setUint32(60, (seq ^ 0x5a5a5a5a) >>> 0, true);
    };
    const end = performance.now() + seconds * 1000;
    while (performance.now() < end) {
      // A batch between yields, so the sampler and the doorbell run.
      for (let i = 0; i < 4096; i++) {
        if (producer.Enqueue(64, fill) === kIOReturnSuccess) seq++;
        else {
          full++;
          break;
        }
      }
      await new Promise((r) => setImmediate(r));
    }
    const ended = performance.now();
    memory.stop();
    const last = (d: Uint8Array) => new DataView(d.buffer, d.byteOffset, d.byteLength).setUint32(0, 0xffffffff, true);
    while (producer.Enqueue(64, last) !== kIOReturnSuccess) await new Promise((r) => setImmediate(r));
    if (consumer.exitCode === null) await new Promise((r) => consumer.once('exit', r));
    const got = JSON.parse(out.split('\n').find((l) => l.startsWith('{'))!) as { records: number; disorder: number; corrupt: number };
    const rate = seq / ((ended - (end - seconds * 1000)) / 1000);
    const figures = `${seq} records of 64 B, ${(rate / 1e6).toFixed(2)} M/s; ${got.records} received, ${got.disorder} out of order, ${got.corrupt} corrupt; queue found full ${full} times; RSS ${memory.describe()}`;
    process.stdout.write(`data queue load: ${figures}\n`);
    const flat = memory.flat();
    const held = got.records === seq && got.disorder === 0 && got.corrupt === 0 && flat;
    record({ area: 'load', check: 'a data queue at full rate, consumer in another process', count: seconds, of: 'seconds', outcome: held ? 'held' : 'FAILED', figures });
    expect(got).toEqual({ records: seq, disorder: 0, corrupt: 0 });
    expect(flat).toBe(true);
  } finally {
    consumer.kill('SIGKILL');
    producer.Cancel();
    memory.release();
    producer.release();
  }
}, 60_000 + seconds * 1000);
