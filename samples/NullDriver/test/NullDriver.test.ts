import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  IOConnectCallMethod,
  IOConnectCallScalarMethod,
  IOConnectCallStructMethod,
  IOMainPortCreate,
  IOServiceClose,
  IOServiceGetMatchingService,
  IOServiceNameMatching,
  IOServiceOpen,
  kIOReturnBadArgument,
  kIOReturnUnsupported,
  type IOMainPort,
} from '@driverkit/driverkit/client';
import { ExternalMethodType, readDataStruct, sizeofDataStruct, writeDataStruct } from '../src/NullDriverShared';

// The sample as a user runs it: the host (`driverkit run`) with the driver in its own process, and
// the client app as another process, over the host's real socket. Both use the built packages.
const sample = join(__dirname, '..');
const bin = join(sample, '../../packages/driverkit/bin/driverkit.mjs');
const client = join(sample, 'dist/NullDriverClient.js');
const exec = promisify(execFile);

let host: ChildProcess;
let hostOutput = '';
let socket: string;
let port: IOMainPort;

async function waitFor(cond: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  socket = join(mkdtempSync(join(tmpdir(), 'nulldriver-')), 'host.sock');
  host = spawn(process.execPath, [bin, 'run', sample, '--no-discover', '--socket', socket], { stdio: ['ignore', 'pipe', 'pipe'] });
  host.stdout!.on('data', (d: Buffer) => (hostOutput += d.toString()));
  host.stderr!.on('data', (d: Buffer) => (hostOutput += d.toString()));
  await waitFor(() => hostOutput.includes('following services'));
  port = IOMainPortCreate(socket);
});

afterAll(async () => {
  port.close();
  const exited = new Promise((r) => host.once('exit', r));
  host.kill('SIGINT');
  await exited;
});

test('the host starts NullDriver in its own process, on IOUserResources', async () => {
  // The driver's own log comes from its process and may arrive after the host has printed the tree.
  await waitFor(() => hostOutput.includes('NullDriver - Start() - Finished.'));
  expect(hostOutput).toMatch(/started NullDriver on IOUserResources \(com\.example\.apple-samplecode\.NullDriver\/NullDriver, score 0, pid \d+\)/);
  expect(hostOutput).toMatch(/NullDriver - Start\(\) - Finished\./);
});

test('the client app runs every action of the original, and the async callback arrives', async () => {
  const { stdout } = await exec(process.execPath, [client, '--socket', socket, 'all'], { timeout: 30_000 });
  expect(stdout).toMatch(/^Opened a connection to NullDriver/m);
  expect(stdout).toMatch(/^Scalar: sent 0 1 2 .* 15; got 1 2 3 .* 16$/m);
  expect(stdout).toMatch(/^Struct: sent foo 300 bar 70000; got foo 301 bar 70010$/m);
  expect(stdout).toMatch(/^Large struct: sent 4104 bytes \(foo 1 bar 2\); got 4104 bytes, foo 2 bar 12$/m);
  expect(stdout).toMatch(/^Checked scalar: sent 0 1 .* 15; got 1 2 .* 16$/m);
  expect(stdout).toMatch(/^Checked struct: sent foo 5 bar 6; got foo 6 bar 16$/m);
  expect(stdout).toMatch(/^Registered the async callback: got foo 8 bar 18 now/m);
  expect(stdout).toMatch(/^Async callback: success, type 2, foo 101 bar 210$/m);
  // Closing the connection stopped and freed the user client (a NullDriver of its own).
  await waitFor(() => (hostOutput.match(/NullDriver - free\(\)/g) ?? []).length >= 1);
}, 40_000);

test('as npm start runs it (the socket from the environment, no --socket), the client does the action it is given', async () => {
  const { stdout } = await exec(process.execPath, [client, 'scalar'], { timeout: 30_000, env: { ...process.env, DRIVERKIT_HOST_SOCKET: socket } });
  expect(stdout).toMatch(/^Scalar: sent 0 1 2 .* 15; got 1 2 3 .* 16$/m);
  expect(stdout).not.toMatch(/Choose an action/);
});

describe('the input validation the original shows', () => {
  test('checked methods refuse calls of the wrong shape; the unchecked ones clamp what they are given', async () => {
    const service = await IOServiceGetMatchingService(port, IOServiceNameMatching('NullDriver'));
    const c = await IOServiceOpen(service!, 0);
    await expect(IOConnectCallScalarMethod(c, ExternalMethodType.CheckedScalar, [1, 2, 3], 16)).rejects.toMatchObject({ code: kIOReturnBadArgument, message: expect.stringMatching(/checkScalarInputCount is 16 but the call has 3/) });
    await expect(IOConnectCallStructMethod(c, ExternalMethodType.CheckedStruct, new Uint8Array(8), sizeofDataStruct)).rejects.toMatchObject({ code: kIOReturnBadArgument, message: expect.stringMatching(/checkStructureInputSize is 16 but the call has 8/) });
    // A selector past the table reaches super.ExternalMethod with no dispatch entry.
    await expect(IOConnectCallStructMethod(c, ExternalMethodType.NumberOfExternalMethods + 3, null, 0)).rejects.toMatchObject({ code: kIOReturnUnsupported });
    // The unchecked scalar handler answers only as many values as both sides have room for.
    expect(await IOConnectCallScalarMethod(c, ExternalMethodType.Scalar, [10, 20, 30], 2)).toEqual([11n, 21n]);
    // The unchecked struct handler refuses a call with no structure at all.
    await expect(IOConnectCallMethod(c, ExternalMethodType.Struct, {})).rejects.toMatchObject({ code: kIOReturnBadArgument });
    // AsyncRequest without a registered callback is an error, as in the original.
    await expect(IOConnectCallStructMethod(c, ExternalMethodType.AsyncRequest, writeDataStruct({ foo: 1n, bar: 1n }), 0)).rejects.toMatchObject({ message: expect.stringMatching(/kIOReturnError|failed/) });
    const ok = readDataStruct(await IOConnectCallStructMethod(c, ExternalMethodType.CheckedStruct, writeDataStruct({ foo: 2n ** 64n - 1n, bar: 0n }), sizeofDataStruct));
    expect(ok).toEqual({ foo: 0n, bar: 10n });
    await IOServiceClose(c);
  });
});
