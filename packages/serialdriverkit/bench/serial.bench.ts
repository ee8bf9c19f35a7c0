// `npm run bench` in this package: an application writing through a tty and reading the echo back,
// three ways in one run. Targets are reported, never asserted.
//   raw:        a bare pty pair; the app and the echo use plain Node I/O (the ceiling).
//   published:  the tty an IOUserSerial publishes; the driver echoes TX to RX through its rings.
//   serialport: the app uses `serialport` on a bare pty pair with the same plain echo.
import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { ReadStream } from 'node:tty';
import { IOServiceHost, LinuxNative, OSString } from '@driverkit/driverkit';
import { SerialPort } from 'serialport';
import { IOUserSerial } from '../src/index';
import { figure } from '../../../scripts/bench/figures.cjs';
import { TCGETS2, TCSETS2, TERMIOS2_SIZE, makeRaw } from '../src/kernel/Termios';

const TOTAL = 32 * 1024 * 1024;
const CHUNK = 4096;
const ECHOES = 2000;

/** A UART with TX wired to RX. */
class EchoUART extends IOUserSerial {
  override async TxDataAvailable(): Promise<void> {
    this.#pump();
  }
  override RxFreeSpaceAvailable(): void {
    this.#pump();
  }
  #pump(): void {
    const spi = this.serialPortInterface;
    if (!spi) return;
    const bytes = this.dequeueTxData(2 ** spi.rxqlogsz - ((spi.rxPI - spi.rxCI) >>> 0));
    if (bytes.length) this.enqueueRxData(bytes);
  }
}

/** A bare pty whose master echoes everything back with plain Node I/O. */
function rawEcho(): { path: string; close: () => void } {
  const { master, path } = LinuxNative.openpt();
  const t = new Uint8Array(TERMIOS2_SIZE);
  LinuxNative.ioctl(master, TCGETS2, t);
  makeRaw(t);
  LinuxNative.ioctl(master, TCSETS2, t);
  const keep = openSync(path, constants.O_RDWR | constants.O_NOCTTY);
  const stream = new ReadStream(master);
  let backlog: Buffer[] = [];
  let waiting = false;
  const flush = async () => {
    while (backlog.length) {
      const b = backlog[0]!;
      let n = 0;
      try {
        n = writeSync(master, b);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      }
      if (n === b.length) backlog.shift();
      else {
        backlog[0] = b.subarray(n);
        waiting = true;
        await LinuxNative.pollWritable([master], 100);
        waiting = false;
      }
    }
  };
  stream.on('data', (d: Buffer) => {
    backlog.push(d);
    if (!waiting) void flush();
  });
  return {
    path,
    close: () => {
      backlog = [];
      stream.destroy();
      closeSync(keep);
    },
  };
}

interface App {
  write(b: Buffer): Promise<void>;
  onData(f: (d: Buffer) => void): void;
  close(): Promise<void>;
}

/** The application side with plain Node I/O on the tty. */
function rawApp(path: string): App {
  const fd = openSync(path, constants.O_RDWR | constants.O_NOCTTY);
  const t = new Uint8Array(TERMIOS2_SIZE);
  LinuxNative.ioctl(fd, TCGETS2, t);
  makeRaw(t);
  LinuxNative.ioctl(fd, TCSETS2, t);
  const reader = new ReadStream(fd);
  return {
    // libuv made the tty non-blocking for its reader: write what fits, wait for room for the rest.
    write: async (b) => {
      let at = 0;
      while (at < b.length) {
        try {
          at += writeSync(fd, b, at);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
          await LinuxNative.pollWritable([fd], 100);
        }
      }
    },
    onData: (f) => reader.on('data', f),
    close: async () => {
      reader.destroy();
    },
  };
}

async function serialportApp(path: string): Promise<App> {
  const port = await new Promise<SerialPort>((resolve, reject) => {
    const p = new SerialPort({ path, baudRate: 115200 }, (e) => (e ? reject(e) : resolve(p)));
  });
  return {
    write: (b) => new Promise((r, j) => port.write(b, (e) => (e ? j(e) : r()))),
    onData: (f) => port.on('data', f),
    close: () => new Promise((r) => port.close(() => r())),
  };
}

/** MB/s for TOTAL bytes written in CHUNK pieces and read back. */
async function throughput(app: App): Promise<number> {
  const chunk = Buffer.alloc(CHUNK, 0x5a);
  let got = 0;
  const done = new Promise<void>((resolve) =>
    app.onData((d) => {
      got += d.length;
      if (got >= TOTAL) resolve();
    }),
  );
  const start = process.hrtime.bigint();
  for (let sent = 0; sent < TOTAL; sent += CHUNK) await app.write(chunk);
  await done;
  return TOTAL / 1e6 / (Number(process.hrtime.bigint() - start) / 1e9);
}

/** p50 of 1-byte round trips, in µs. */
async function echo(app: App): Promise<number> {
  const samples: number[] = [];
  let resolve: (() => void) | null = null;
  app.onData(() => resolve?.());
  const one = Buffer.of(0x42);
  for (let i = 0; i < ECHOES; i++) {
    const start = process.hrtime.bigint();
    await new Promise<void>((r) => {
      resolve = r;
      void app.write(one);
    });
    samples.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

/** Throughput, then echo latency, each with its own app on `path`. */
async function measure(path: string): Promise<{ mbps: number; p50: number }> {
  const a = rawApp(path);
  const mbps = await throughput(a);
  await a.close();
  const b = rawApp(path);
  const p50 = await echo(b);
  await b.close();
  return { mbps, p50 };
}

async function main() {
  const results: Record<string, { mbps: number; p50: number }> = {};

  const raw = rawEcho();
  results.raw = await measure(raw.path);
  raw.close();

  const host = new IOServiceHost({ mode: 'in-process', log: () => {} });
  process.env.DRIVERKIT_TTY_DIR ??= `/tmp/driverkit-bench-tty-${process.pid}`;
  const uart = new EchoUART();
  uart.setName('EchoUART');
  await uart.startWithProvider(host.userResources, null);
  const pts = (uart.getProperty('IOSerialPTYPath') as OSString).getCStringNoCopy();
  results.published = await measure(pts);
  await host.stop();

  const bare = rawEcho();
  const sp = await serialportApp(bare.path);
  results.serialport = { mbps: await throughput(sp), p50: NaN };
  await sp.close();
  bare.close();

  const r = results as Record<'raw' | 'published' | 'serialport', { mbps: number; p50: number }>;
  console.log(`echo throughput, ${TOTAL / 1024 / 1024} MiB in ${CHUNK}-byte writes:`);
  console.log(`  raw pty pair, plain Node I/O:   ${r.raw.mbps.toFixed(1)} MB/s`);
  console.log(`  published tty → IOUserSerial:   ${r.published.mbps.toFixed(1)} MB/s  (${(r.published.mbps / r.raw.mbps).toFixed(2)} of raw; target ≥ 0.90: ${r.published.mbps >= 0.9 * r.raw.mbps ? 'met' : 'not met'})`);
  console.log(`  serialport on a raw pty pair:   ${r.serialport.mbps.toFixed(1)} MB/s  (published is ${(r.published.mbps / r.serialport.mbps).toFixed(2)}× serialport; target ≥ 1.2×: ${r.published.mbps >= 1.2 * r.serialport.mbps ? 'met' : 'not met'})`);
  console.log(`1-byte echo round trip p50 (${ECHOES} echoes): raw ${r.raw.p50.toFixed(1)} µs, published ${r.published.p50.toFixed(1)} µs (${(r.published.p50 / r.raw.p50).toFixed(2)}× raw; target ≤ 1.3×: ${r.published.p50 <= 1.3 * r.raw.p50 ? 'met' : 'not met'})`);
  figure({ figure: 'published tty echo throughput', value: r.published.mbps, unit: 'MB/s', baseline: 'raw pty pair', baselineValue: r.raw.mbps, goal: '≥ 0.9× baseline', met: r.published.mbps >= 0.9 * r.raw.mbps });
  figure({ figure: 'published tty echo throughput, against serialport', value: r.published.mbps, unit: 'MB/s', baseline: 'serialport on a raw pty', baselineValue: r.serialport.mbps, goal: '≥ 1.2× baseline', met: r.published.mbps >= 1.2 * r.serialport.mbps });
  figure({ figure: 'published tty 1-byte echo round trip p50', value: r.published.p50, unit: 'µs', baseline: 'raw pty pair', baselineValue: r.raw.p50, goal: '≤ 1.3× baseline', met: r.published.p50 <= 1.3 * r.raw.p50 });
  process.exit(0);
}

void main();
