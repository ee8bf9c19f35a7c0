import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
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

test('the driver reads its interrupt pipe in its own process, and stops cleanly with the host', async () => {
  const socket = join(mkdtempSync(join(tmpdir(), 'dk-usb-')), 'host.sock');
  const host: ChildProcess = spawn(process.execPath, [bin, 'run', sample, '--socket', socket], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  host.stdout!.on('data', (d) => (output += d));
  host.stderr!.on('data', (d) => (output += d));
  try {
    await waitFor(() => output.includes('started MyUserUSBInterfaceDriver on IOUSBHostInterface'));
    expect(output).toMatch(/score 90000, pid \d+/);
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
  expect(output).toMatch(/MyUserUSBInterfaceDriver - Stop\(\)/);
  expect(output).not.toMatch(/failed|uncaught|unhandled/i);
  expect(output).toMatch(/stopped\./);
}, 30_000);
