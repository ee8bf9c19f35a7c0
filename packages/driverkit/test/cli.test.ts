import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, existsSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { alive, waitFor } from './helpers';

// The `driverkit` command as users run it: the built bin, in separate processes.
const bin = join(__dirname, '../bin/driverkit.mjs');
const fixtures = join(__dirname, 'fixtures');
const exec = promisify(execFile);

function driverkit(...args: string[]) {
  return exec(process.execPath, [bin, ...args]);
}

describe('driverkit run, ioreg, match, list', () => {
  let socket: string;
  let host: ChildProcess;
  let output = '';

  beforeAll(async () => {
    socket = join(mkdtempSync(join(tmpdir(), 'dk-cli-')), 'host.sock');
    host = spawn(process.execPath, [bin, 'run', join(fixtures, 'drivers/NullDriver'), join(fixtures, 'drivers/TestDrivers'), '--family', join(fixtures, 'family-plugin/plugin.js'), '--no-discover', '--socket', socket], { stdio: ['ignore', 'pipe', 'pipe'] });
    host.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    host.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    await waitFor(() => output.includes('following services'));
  });

  afterAll(() => {
    if (host.exitCode === null) host.kill('SIGKILL');
  });

  test('run says what it loaded, matched and started, and prints the tree', () => {
    expect(output).toMatch(/listening on .*host\.sock/);
    expect(output).toMatch(/family plugin .*plugin\.js/);
    expect(output).toMatch(/started NullDriver on IOUserResources \(com\.example\.apple-samplecode\.NullDriver\/NullDriver, score 0, pid \d+\)/);
    expect(output).toMatch(/started Recorder on VirtualWidget/);
    expect(output).toMatch(/\+-o IOUserResources {2}<class IOUserResources, id 0x[0-9a-f]+, registered, matched, active>\n {2}\| \+-o NullDriver {2}<class IOUserService/);
    expect(statSync(socket).mode & 0o777).toBe(0o660);
  });

  test('ioreg -l prints properties; -c with -r selects subtrees; --json is the same tree', async () => {
    const { stdout } = await driverkit('ioreg', '-l', '--socket', socket);
    expect(stdout).toMatch(/\+-o Root {2}<class IORegistryEntry, id 0x100000000>/);
    expect(stdout).toMatch(/"IOUserClass" = "NullDriver"/);
    // Which code runs: the SHA3-256 of the bundle's main module, on each service started from it.
    const digest = createHash('sha3-256').update(readFileSync(join(fixtures, 'drivers/NullDriver/driver.js'))).digest('hex');
    expect(stdout).toMatch(new RegExp(`"IOPropertyHashType" = "SHA3-256"\\n[ |]*"SHA3-256" = <${digest}>`));
    expect(stdout).toMatch(/\+-o VirtualWidget@1 {2}<class TestNub/);
    const selected = (await driverkit('ioreg', '-r', '-c', 'IOUserService', '--socket', socket)).stdout;
    expect(selected.split('\n').filter((l) => l.includes('+-o'))).toEqual([expect.stringMatching(/^\+-o NullDriver /), expect.stringMatching(/^\+-o Recorder /)]);
    // -n takes a name as the tree prints it, with its @location too.
    for (const name of ['VirtualWidget', 'VirtualWidget@1']) {
      const named = (await driverkit('ioreg', '-r', '-n', name, '--socket', socket)).stdout;
      expect(named).toMatch(/^\+-o VirtualWidget@1 {2}<class TestNub[\s\S]*"Role" = "record"/);
    }
    expect((await driverkit('ioreg', '-r', '-n', 'VirtualWidget@2', '--socket', socket)).stdout.trim()).toBe('');
    const json = JSON.parse((await driverkit('ioreg', '--json', '--socket', socket)).stdout);
    expect(json.IORegistryEntryName).toBe('Root');
    expect(json.IORegistryEntryChildren.map((c: { IORegistryEntryName: string }) => c.IORegistryEntryName)).toEqual(['IOResources', 'IOUserResources', 'VirtualWidget']);
  });

  test('match --explain names every key of every personality for an entry', async () => {
    const { stdout } = await driverkit('match', '--explain', 'VirtualWidget@1', '--socket', socket);
    expect(stdout).toMatch(/^IOService:\/VirtualWidget@1 \(TestNub, id 0x[0-9a-f]+\)/);
    expect(stdout).toMatch(/org\.driverkit\.test\.TestDrivers\/Recorder {2}score 0 {2}wins IODefaultMatchCategory\n {4}✓ IOProviderClass: the provider is an instance of TestNub\n {4}✓ IOPropertyMatch: has Role/);
    expect(stdout).toMatch(/org\.driverkit\.test\.TestDrivers\/Crasher {2}score 0 {2}no match[\s\S]*?✗ IOPropertyMatch: Role is "record", wanted "crash"/);
    expect(stdout).toMatch(/NullDriver\/NullDriver {2}score 0 {2}no match\n {4}✗ IOProviderClass: TestNub is not a IOUserResources/);
    // Class names are data (esbuild would rename self-referencing classes in the built packages this runs).
    expect(stdout).toMatch(/TestDrivers\/Watcher {2}score 0 {2}no match\n {4}✓ IOProviderClass: TestNub inherits from IOService\n/);
    expect(stdout).not.toMatch(/_IO|_OS/);
    await expect(driverkit('match', '--explain', 'Nothing', '--socket', socket)).rejects.toMatchObject({ stderr: expect.stringMatching(/no registry entry named Nothing/) });
  });

  test('list shows the discovered devices and their driver counts', async () => {
    const { stdout } = await driverkit('list', '--socket', socket);
    expect(stdout.trim()).toMatch(/^IOService:\/VirtualWidget@1 {2}<TestNub> {2}1 driver {2}idVendor=4617$/);
  });

  test('Ctrl-C stops services, driver processes and the socket', async () => {
    const pids = [...output.matchAll(/pid (\d+)\)/g)].map((m) => Number(m[1]));
    expect(pids.length).toBeGreaterThanOrEqual(2);
    const exited = new Promise<number | null>((r) => host.once('exit', r));
    host.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(output).toMatch(/stopping: terminating services and driver processes…\n[\s\S]*stopped\./);
    for (const pid of pids) expect(alive(pid)).toBe(false);
    expect(existsSync(socket)).toBe(false);
  });
});

describe('stopping from a terminal', () => {
  const drivers = [join(fixtures, 'drivers/NullDriver'), join(fixtures, 'drivers/TestDrivers'), '--family', join(fixtures, 'family-plugin/plugin.js'), '--no-discover'];

  /** Every driver process the host started, and whether each ran its Stop() before the host stopped. */
  function driverStops(output: string) {
    const pids = [...output.matchAll(/started (\w+) on .*pid (\d+)\)/g)].map((m) => ({ driver: m[1], pid: Number(m[2]) }));
    // Drivers start in parallel, in either order.
    return pids.map(({ driver, pid }) => ({ driver, stopped: output.includes(`${driver} fixture - Stop() in pid ${pid}`), alive: alive(pid) })).sort((a, b) => a.driver.localeCompare(b.driver));
  }

  test('Ctrl-C typed in a real terminal runs every driver\'s Stop() before the host exits', async () => {
    const socket = join(mkdtempSync(join(tmpdir(), 'dk-cli-')), 'host.sock');
    // script(1) gives the host a pty as its controlling terminal: the ^C byte becomes SIGINT for the
    // whole foreground process group, as a user's keypress does. script runs the command through $SHELL -c;
    // dash (CI's /bin/sh) stays as the parent and dies of the SIGINT itself, so exec the host in its place.
    const command = ['exec', process.execPath, bin, 'run', ...drivers, '--socket', socket].join(' ');
    const term = spawn('script', ['-qfec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    term.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((r) => term.once('exit', r));
    await waitFor(() => output.includes('following services'));
    term.stdin!.write('\x03');
    expect(await exited).toBe(0);
    expect(output).toContain('^C');
    expect(driverStops(output)).toEqual([
      { driver: 'NullDriver', stopped: true, alive: false },
      { driver: 'Recorder', stopped: true, alive: false },
    ]);
    expect(output).not.toMatch(/unreachable|EPIPE/);
    expect(output).toMatch(/stopped\.\r?\n/);
  }, 30_000);

  test('SIGTERM to the host\'s process group stops drivers through the host too', async () => {
    const socket = join(mkdtempSync(join(tmpdir(), 'dk-cli-')), 'host.sock');
    const host = spawn(process.execPath, [bin, 'run', ...drivers, '--socket', socket], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    host.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((r) => host.once('exit', r));
    await waitFor(() => output.includes('following services'));
    process.kill(-host.pid!, 'SIGTERM');
    expect(await exited).toBe(0);
    expect(driverStops(output).every((d) => d.stopped && !d.alive)).toBe(true);
    expect(driverStops(output)).toHaveLength(2);
    expect(output).not.toMatch(/unreachable|EPIPE/);
  }, 30_000);

  test('a signal while the host is still starting stops it cleanly once the start is done', async () => {
    const socket = join(mkdtempSync(join(tmpdir(), 'dk-cli-')), 'host.sock');
    const host = spawn(process.execPath, [bin, 'run', ...drivers, '--socket', socket], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    host.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((r) => host.once('exit', r));
    // The first line it prints, long before any driver has started.
    await waitFor(() => output.includes('driverkit host (pid'));
    host.kill('SIGTERM');
    host.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(output).not.toContain('following services');
    expect(output).toMatch(/already stopping/);
    expect(output).toMatch(/stopped\.\n/);
    expect(driverStops(output).every((d) => !d.alive)).toBe(true);
    expect(existsSync(socket)).toBe(false);
  }, 30_000);
});

test('ioreg without a host says where it looked and how to start one', async () => {
  await expect(driverkit('ioreg', '--socket', '/tmp/nonexistent-dk/host.sock')).rejects.toMatchObject({
    code: 1,
    stderr: expect.stringMatching(/no driverkit host is running at \/tmp\/nonexistent-dk\/host\.sock \(ENOENT\); start one with `driverkit run`/),
  });
});

test('run --once prints the registry and leaves nothing running', async () => {
  const socket = join(mkdtempSync(join(tmpdir(), 'dk-cli-')), 'host.sock');
  const { stdout } = await driverkit('run', '--once', '--no-discover', '--socket', socket, join(fixtures, 'drivers/NullDriver'));
  expect(stdout).toMatch(/\+-o NullDriver {2}<class IOUserService/);
  const pid = Number(/pid (\d+)\)/.exec(stdout)![1]);
  expect(alive(pid)).toBe(false);
});

test('run --no-bench leaves the packages\' virtual benches out, so only real devices are driven', async () => {
  const bench = join(fixtures, 'drivers/ExplorerBench');
  const run = (...flags: string[]) => driverkit('run', '--once', '--no-discover', ...flags, '--socket', join(mkdtempSync(join(tmpdir(), 'dk-cli-')), 'host.sock'), bench);
  const [withBench, without] = await Promise.all([run(), run('--no-bench')]);
  expect(withBench.stdout).toMatch(/virtual bench .*bench\.js/);
  expect(withBench.stdout).toMatch(/BenchDevice@1/);
  expect(without.stdout).not.toMatch(/virtual bench|BenchDevice/);
});

test('report prints what a driver in its own process reports: counters, a state, a histogram', async () => {
  const socket = join(mkdtempSync(join(tmpdir(), 'dk-cli-')), 'host.sock');
  const host = spawn(process.execPath, [bin, 'run', join(fixtures, 'drivers/ReportingDriver'), '--no-discover', '--socket', socket], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  host.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  try {
    await waitFor(() => output.includes('following services'));
    // Values reach the registry at most every 100 ms; wait for the last of them.
    let stdout = '';
    for (let i = 0; i < 100 && !/Bytes \(0x2\) {2}4096/.test(stdout); i++) {
      stdout = (await driverkit('report', '-n', 'Reporting', '--socket', socket)).stdout;
      if (!/Bytes \(0x2\) {2}4096/.test(stdout)) await new Promise((r) => setTimeout(r, 20));
    }
    expect(stdout).toMatch(/^Reporting <IOUserService>$/m);
    expect(stdout).toMatch(/^ {2}Reporting \/ Traffic {2}\[simple, events\]\n {4}Interrupts \(0x1\) {2}5\n {4}Bytes \(0x2\) {2}4096$/m);
    expect(stdout).toMatch(/^ {2}Reporting \/ Power {2}\[state, none\]\n {4}Link \(0x10\) {2}now Active\n {6}Idle {13}entered 1×, [\d.]+ ms\n {6}Active {11}entered 1×, [\d.]+ ms$/m);
    expect(stdout).toMatch(/^ {4}Latency \(0x20\)\n {6}\[0, 10\) {2}1 hits, min 3, max 3, sum 3\n {6}\[10, 20\) {2}2 hits, min 15, max 15, sum 30\n {6}\[130, 330\) {2}1 hits, min 250, max 250, sum 250\n {6}\[330, 730\) {2}1 hits, min 5000, max 5000, sum 5000$/m);
    const json = JSON.parse((await driverkit('report', '--json', '--socket', socket)).stdout);
    expect(json[0].reporters.map((r: { IOReportKind: string }) => r.IOReportKind)).toEqual(['simple', 'state', 'histogram']);
    const { stdout: ioregOut } = await driverkit('ioreg', '-r', '-n', 'Reporting', '--socket', socket);
    expect(ioregOut).toMatch(/"IOReportLegend" = \(/);
  } finally {
    const exited = new Promise((r) => host.once('exit', r));
    host.kill('SIGINT');
    await exited;
  }
}, 30_000);
