import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  IOConnectCallMethod,
  IOConnectCallScalarMethod,
  IOMainPortCreate,
  IOServiceClose,
  IOServiceGetMatchingService,
  IOServiceNameMatching,
  IOServiceOpen,
  kIOReturnBadArgument,
  type IOMainPort,
} from '@driverkit/driverkit/client';
import { EduExternalMethod } from '../src/EduDriverShared';

// The sample as a user runs it: `driverkit run` with the virtual edu on the PCI family's virtual bus,
// the driver in its own process (its IOPCIDevice opens the model there), the app in another.
const sample = join(__dirname, '..');
const bin = join(sample, '../../packages/driverkit/bin/driverkit.mjs');
const exec = promisify(execFile);

let host: ChildProcess;
let output = '';
let socket: string;
let port: IOMainPort;

async function until(re: RegExp, from = 0): Promise<void> {
  const end = Date.now() + 15_000;
  while (!re.test(output.slice(from))) {
    if (Date.now() > end || host.exitCode !== null) throw new Error(`no ${re} from the host:\n${output}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

beforeAll(async () => {
  socket = join(mkdtempSync(join(tmpdir(), 'dk-edu-')), 'host.sock');
  host = spawn(process.execPath, [bin, 'run', sample, '--socket', socket], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, EDU_DMA_DELAY_MS: '5' } });
  host.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  host.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  await until(/following services/);
  port = IOMainPortCreate(socket);
}, 30_000);

afterAll(async () => {
  port?.close();
  const exited = new Promise((r) => host.once('exit', r));
  host.kill('SIGINT');
  await exited;
});

test('the host matches EduDriver to the virtual edu by IOPCIPrimaryMatch and starts it in its own process', async () => {
  // The driver's own log comes from its process and may arrive after the host has printed the tree.
  await until(/EduDriver - Start\(\) - edu 1\.0 ready/);
  expect(output).toMatch(/started EduDriver on pci1234,11e8 \(org\.driverkit\.samples\.EduDriver\/EduDriver, score 1000, pid \d+\)/);
  expect(output).toMatch(/EduDriver - Start\(\) - edu 1\.0 ready, MSI on interrupt index 1/);
  expect(output).toMatch(/\+-o pci1234,11e8@0 {2}<class IOPCIDevice, id 0x[0-9a-f]+, registered, matched, active>\n {4}\+-o EduDriver/);
});

test('the client app (what npm start runs) computes factorials and round-trips a DMA buffer', async () => {
  const { stdout } = await exec(process.execPath, [join(sample, 'dist/EduClient.js'), '--socket', socket], { timeout: 20_000 });
  expect(stdout).toMatch(/^Opened a connection to EduDriver: edu 1\.0$/m);
  expect(stdout).toMatch(/^Liveness: wrote 0x12345678, read 0xedcba987$/m);
  expect(stdout).toMatch(/^Factorial: 10! = 3628800$/m);
  expect(stdout).toMatch(/^Factorial: 12! = 479001600$/m);
  expect(stdout).toMatch(/^DMA: sent 4096 bytes to the device and back, identical$/m);
  expect(stdout).toMatch(/^Interrupts handled by the driver: \d+$/m);
}, 30_000);

test('each call counts its interrupts; 32-bit factorials wrap as the device computes them', async () => {
  const service = await IOServiceGetMatchingService(port, IOServiceNameMatching('EduDriver'));
  const c = await IOServiceOpen(service!, 0);
  try {
    const [before] = await IOConnectCallScalarMethod(c, EduExternalMethod.Status, [], 2);
    const [f13] = await IOConnectCallScalarMethod(c, EduExternalMethod.Factorial, [13n], 1);
    expect(f13).toBe(6227020800n % 2n ** 32n);
    const data = Uint8Array.from({ length: 100 }, (_, i) => 255 - i);
    const { structureOutput } = await IOConnectCallMethod(c, EduExternalMethod.DMARoundTrip, { structureInput: data, structureOutputSize: 100 });
    expect(Buffer.from(structureOutput).equals(Buffer.from(data))).toBe(true);
    const [after] = await IOConnectCallScalarMethod(c, EduExternalMethod.Status, [], 2);
    expect(after! - before!).toBe(3n); // one factorial, two DMA transfers
  } finally {
    await IOServiceClose(c);
  }
}, 20_000);

test('hostile calls are refused with kIOReturnBadArgument and the driver goes on', async () => {
  const service = await IOServiceGetMatchingService(port, IOServiceNameMatching('EduDriver'));
  const c = await IOServiceOpen(service!, 0);
  try {
    const refused = expect.objectContaining({ code: kIOReturnBadArgument });
    await expect(IOConnectCallMethod(c, EduExternalMethod.DMARoundTrip, { structureInput: new Uint8Array(4097), structureOutputSize: 4097 })).rejects.toEqual(refused);
    await expect(IOConnectCallMethod(c, EduExternalMethod.DMARoundTrip, { structureOutputSize: 16 })).rejects.toEqual(refused);
    await expect(IOConnectCallScalarMethod(c, EduExternalMethod.Factorial, [1n, 2n], 1)).rejects.toEqual(refused);
    await expect(IOConnectCallScalarMethod(c, EduExternalMethod.Factorial, [1n << 40n], 1)).rejects.toEqual(refused);
    await expect(IOConnectCallScalarMethod(c, 99, [], 0)).rejects.toEqual(refused);
    const [f5] = await IOConnectCallScalarMethod(c, EduExternalMethod.Factorial, [5n], 1);
    expect(f5).toBe(120n);
  } finally {
    await IOServiceClose(c);
  }
}, 20_000);
