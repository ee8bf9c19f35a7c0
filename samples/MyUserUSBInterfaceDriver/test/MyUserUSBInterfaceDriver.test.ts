import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

// The sample as a user runs it: `driverkit run` on the package, the bench device plugged into the
// virtual USB host, the driver in its own process reading the interrupt pipe through the host.
const sample = join(__dirname, '..');
const bin = join(sample, '../../packages/driverkit/bin/driverkit.mjs');
const exec = promisify(execFile);

async function waitFor(cond: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** `driverkit run` on the sample, as a user starts it; `output` is everything it printed so far. */
function startHost(env: NodeJS.ProcessEnv = {}): { host: ChildProcess; socket: string; output: () => string } {
  const socket = join(mkdtempSync(join(tmpdir(), 'dk-usb-')), 'host.sock');
  const host = spawn(process.execPath, [bin, 'run', sample, '--socket', socket], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let output = '';
  host.stdout!.on('data', (d) => (output += d));
  host.stderr!.on('data', (d) => (output += d));
  return { host, socket, output: () => output };
}

test('the driver reads its interrupt pipe in its own process, and stops cleanly with the host', async () => {
  const { host, socket, output: printed } = startHost();
  try {
    await waitFor(() => printed().includes('started MyUserUSBInterfaceDriver on IOUSBHostInterface'));
    expect(printed()).toMatch(/score 90000, pid \d+/);
    const reportCount = async () => {
      const { stdout } = await exec(process.execPath, [bin, 'ioreg', '-l', '--socket', socket]);
      return Number(/"ReportCount" = (\d+)/.exec(stdout)?.[1] ?? 0);
    };
    await waitFor(async () => (await reportCount()) >= 5);
    const { stdout } = await exec(process.execPath, [bin, 'ioreg', '-l', '--socket', socket]);
    // Each report starts with the device's sample counter, little-endian.
    const last = /"LastReport" = <([0-9a-f]{16})>/.exec(stdout)![1]!;
    expect(Buffer.from(last, 'hex').readUInt32LE(0)).toBeGreaterThanOrEqual(5);
  } finally {
    host.kill('SIGTERM');
    await new Promise((r) => host.once('exit', r));
  }
  expect(printed()).toMatch(/MyUserUSBInterfaceDriver - Stop\(\)/);
  expect(printed()).not.toMatch(/failed|uncaught|unhandled/i);
  expect(printed()).toMatch(/stopped\./);
}, 30_000);

test('a driver SIGKILLed with a read in flight is relaunched, opens the interface again and reads on; its transfer queues go with it', async () => {
  const { host, socket, output: printed } = startHost();
  const pids = () => [...new Set([...printed().matchAll(/started MyUserUSBInterfaceDriver on IOUSBHostInterface .*pid (\d+)\)/g)].map((m) => Number(m[1])))];
  const reportCount = async () => Number(/"ReportCount" = (\d+)/.exec((await exec(process.execPath, [bin, 'ioreg', '-l', '--socket', socket])).stdout)?.[1] ?? 0);
  // The driver process's shared memory: its transfer channel's two queues among it.
  const regionsOf = (pid: number) => readdirSync('/dev/shm').filter((n) => n.startsWith(`driverkit.${pid}.`));
  try {
    await waitFor(() => pids().length === 1);
    const [first] = pids();
    await waitFor(async () => (await reportCount()) >= 3);
    expect(regionsOf(first!).length).toBeGreaterThanOrEqual(2);
    // A read is always pending: the bench device answers each poll 50 ms later.
    process.kill(first!, 'SIGKILL');
    await waitFor(() => pids().length === 2, 20_000).catch((e) => {
      throw new Error(`${(e as Error).message}: ${printed().slice(-3000)}`);
    });
    const second = pids()[1]!;
    // The new process opens the interface the killed one held (the host let go of it) and reads.
    await waitFor(async () => (await reportCount()) >= 3);
    expect(regionsOf(first!)).toEqual([]);
    expect(regionsOf(second).length).toBeGreaterThanOrEqual(2);
  } finally {
    host.kill('SIGTERM');
    await new Promise((r) => host.once('exit', r));
  }
  expect(printed()).not.toMatch(/exclusive|not open for this client|uncaught|unhandled/i);
  expect(printed()).toMatch(/stopped\./);
}, 45_000);

test('on a replayed capture of a real mouse, the driver reads every recorded report in order', async () => {
  const { USBCapture } = await import('@driverkit/usbdriverkit');
  const recording = join(sample, '../../../shared/data/usb/packetry/captures/mouse/capture.pcap');
  const reports = USBCapture.fromFile(recording).transfers.filter((t) => t.endpoint === 0x81 && t.status === 'ok');
  const { host, socket, output: printed } = startHost({ USB_REPLAY: recording });
  try {
    await waitFor(() => printed().includes('started MyUserUSBInterfaceDriver on IOUSBHostInterface'));
    expect(printed()).toMatch(/RecordedMouse|USB Optical Mouse/);
    let ioreg = '';
    await waitFor(async () => {
      ioreg = (await exec(process.execPath, [bin, 'ioreg', '-l', '--socket', socket])).stdout;
      return new RegExp(`"ReportCount" = ${reports.length}\\b`).test(ioreg);
    });
    expect(/"LastReport" = <([0-9a-f]*)>/.exec(ioreg)![1]).toBe(Buffer.from(reports.at(-1)!.data).toString('hex'));
  } finally {
    host.kill('SIGTERM');
    await new Promise((r) => host.once('exit', r));
  }
}, 30_000);
