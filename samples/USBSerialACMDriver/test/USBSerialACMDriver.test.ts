import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SerialPort } from 'serialport';
import { IOMainPortCreate, IORegistryEntryCreateCFProperty, IOServiceClose, IOServiceGetMatchingService, IOServiceNameMatching, IOServiceOpen, type IOMainPort } from '@driverkit/driverkit/client';
import { IOSerialGetModemStatus, IOSerialSendBreak, IOSerialSetModemLines } from '@driverkit/serialdriverkit/client';

// The whole stack as a user runs it: `driverkit run` on the sample, the virtual CDC-ACM modem on the
// virtual USB host, the driver in its own process, and an app on the published tty with `serialport`.
// Bytes go app → pty → TX ring → bulk OUT → device → bulk IN → RX ring → pty → app.
const sample = join(__dirname, '..');
const bin = join(sample, '../../packages/driverkit/bin/driverkit.mjs');
const exec = promisify(execFile);

let host: ChildProcess;
let output = '';
let socket = '';
let mainPort: IOMainPort;
let path = '';
let ttyDir = '';

async function waitFor(re: RegExp, from = 0): Promise<void> {
  const end = Date.now() + 10_000;
  while (!re.test(output.slice(from))) {
    if (Date.now() > end || host.exitCode !== null) throw new Error(`no ${re} from the host:\n${output}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dk-acm-'));
  socket = join(dir, 'host.sock');
  ttyDir = join(dir, 'tty');
  // A process group of its own, as a shell gives a job: the last test signals the whole group.
  host = spawn(process.execPath, [bin, 'run', sample, '--socket', socket], { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, DRIVERKIT_TTY_DIR: ttyDir } });
  host.stdout!.on('data', (d) => (output += d));
  host.stderr!.on('data', (d) => (output += d));
  await waitFor(/started USBSerialACMDriver on Virtual Modem/);
  mainPort = IOMainPortCreate(socket);
  const service = await IOServiceGetMatchingService(mainPort, IOServiceNameMatching('USBSerialACMDriver'));
  path = String(await IORegistryEntryCreateCFProperty(service!, 'IOCalloutDevice'));
}, 30_000);

afterAll(async () => {
  mainPort?.close?.();
  if (host.exitCode !== null || host.signalCode !== null) return;
  host.kill('SIGTERM');
  await new Promise((r) => host.once('exit', r));
});

/** The modem status, once it matches `want` (the device answers DTR asynchronously). */
async function statusBecomes(connection: Parameters<typeof IOSerialGetModemStatus>[0], want: Partial<Awaited<ReturnType<typeof IOSerialGetModemStatus>>>) {
  const end = Date.now() + 5000;
  for (;;) {
    const s = await IOSerialGetModemStatus(connection);
    if (Object.entries(want).every(([k, v]) => s[k as keyof typeof s] === v) || Date.now() > end) return s;
    await new Promise((r) => setTimeout(r, 10));
  }
}

function open(options: { baudRate: number; stopBits?: 1 | 2 }): Promise<SerialPort> {
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path, ...options }, (e) => (e ? reject(e) : resolve(port)));
  });
}

test('the port is published under the personality’s name, and Start programmed the modem; DTR and RTS wait for an open', () => {
  expect(path).toMatch(/\/cu\.usbmodemACM0$/);
  expect(output).toMatch(/CDC-ACM device: SET_LINE_CODING 38400 baud, 8 data bits, parity 0, stop 1/);
  expect(output).not.toMatch(/SET_CONTROL_LINE_STATE/);
});

test('256 KiB round trip through the USB modem, and line settings become SET_LINE_CODING', async () => {
  const from = output.length;
  const port = await open({ baudRate: 57600, stopBits: 2 });
  try {
    // The app's open raised the modem lines, as on macOS.
    await waitFor(/SET_CONTROL_LINE_STATE dtr=true rts=true/, from);
    await waitFor(/SET_LINE_CODING 57600 baud, 8 data bits, parity 0, stop 2/, from);
    const data = Buffer.alloc(256 * 1024);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >> 9)) & 0xff;
    // 16 KiB exchanges: serialport's poller can miss a readable tty while a large write of its own
    // waits (see the family's README), so the app keeps one exchange in flight.
    const chunks: Buffer[] = [];
    let pending: { need: number; resolve: () => void } | null = null;
    let have = 0;
    port.on('data', (d: Buffer) => {
      chunks.push(d);
      have += d.length;
      if (pending && have >= pending.need) pending.resolve();
    });
    for (let at = 0; at < data.length; at += 16384) {
      await new Promise<void>((resolve) => {
        pending = { need: at + 16384, resolve };
        port.write(data.subarray(at, at + 16384));
      });
    }
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
    await new Promise<void>((r, j) => port.update({ baudRate: 230400 }, (e) => (e ? j(e) : r())));
    await waitFor(/SET_LINE_CODING 230400 baud, 8 data bits, parity 0, stop 2/, from);
  } finally {
    await new Promise<void>((r) => port.close(() => r()));
  }
}, 30_000);

test('DTR reaches the device, its SERIAL_STATE answer reaches the modem status, and breaks go out', async () => {
  const service = await IOServiceGetMatchingService(mainPort, IOServiceNameMatching('USBSerialACMDriver'));
  const connection = await IOServiceOpen(service!, 0);
  try {
    const from = output.length;
    await IOSerialSetModemLines(connection, { dtr: false, rts: true });
    await waitFor(/SET_CONTROL_LINE_STATE dtr=false rts=true/, from);
    expect(await statusBecomes(connection, { dsr: false, dcd: false })).toMatchObject({ dsr: false, dcd: false });
    await IOSerialSetModemLines(connection, { dtr: true, rts: true });
    expect(await statusBecomes(connection, { dsr: true, dcd: true })).toMatchObject({ dsr: true, dcd: true, ri: false });
    await IOSerialSendBreak(connection, true);
    await IOSerialSendBreak(connection, false);
    await waitFor(/SEND_BREAK on\n(.*\n)*CDC-ACM device: SEND_BREAK off/, from);
  } finally {
    await IOServiceClose(connection);
  }
});

test('the sample’s app (what `npm start` runs) reads its line back and sees the carrier', async () => {
  const from = output.length;
  const { stdout } = await exec(process.execPath, [join(sample, 'dist/SerialClient.js'), '--socket', socket], { timeout: 15_000 }).catch((e) => {
    throw new Error(`the app failed: ${e.message}\n${e.stdout}\n${e.stderr}\nhost:\n${output.slice(from)}`);
  });
  expect(stdout).toMatch(/sent "Hello over USB CDC-ACM!\\n", read back "Hello over USB CDC-ACM!\\n"/);
  expect(stdout).toMatch(/modem status with DTR up: \{"cts":true,"dsr":true,"ri":false,"dcd":true\}/);
}, 30_000);

test('SIGTERM to the host’s process group (kill from a shell) stops the driver and leaves no link, socket or shared memory', async () => {
  mainPort.close();
  const pids = [host.pid!, ...[...output.matchAll(/pid (\d+)\)/g)].map((m) => Number(m[1]))];
  expect(readdirSync(ttyDir).sort()).toEqual(['cu.usbmodemACM0', 'tty.usbmodemACM0']);
  const exited = new Promise((r) => host.once('exit', r));
  process.kill(-host.pid!, 'SIGTERM');
  await exited;
  expect(host.exitCode).toBe(0);
  expect(output).toMatch(/stopping: terminating services[\s\S]*stopped\./);
  expect(readdirSync(ttyDir)).toEqual([]);
  expect(existsSync(socket)).toBe(false);
  expect(readdirSync('/dev/shm').filter((f) => pids.some((pid) => f.startsWith(`driverkit.${pid}.`)))).toEqual([]);
}, 20_000);
