import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ifindexOf } from './ifindexOf';

// The sample on its virtual bench, as `npm start` runs it: no real NIC, a virtual link whose far end
// is a small IPv4 host answering ARP and ping. The far host delays and duplicates what it sends, so
// the kernel's ping sees what the link did.
const sample = join(__dirname, '..');
const root = join(sample, '../..');
const bin = join(root, 'packages/driverkit/bin/driverkit.mjs');
const plugin = join(root, 'packages/networkingdriverkit/dist/plugin.js');
const exec = promisify(execFile);
const ip = (...args: string[]) => execFileSync('ip', args).toString();

let host: ChildProcess;
let output = '';
let tap = '';
let tapIndex = '';

async function until(what: string, check: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; host output:\n${output}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  const socket = join(mkdtempSync(join(tmpdir(), 'dk-brv-')), 'host.sock');
  host = spawn(process.execPath, [bin, 'run', sample, '--no-discover', '--family', plugin, '--socket', socket], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, BRIDGE_VIRTUAL_IMPAIR: JSON.stringify({ delayMs: 30, duplicate: 1, seed: 7 }) },
  });
  host.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  host.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const registered = /EthernetBridgeDriver: (dk\d+) \(.*\) drives vlink0,/;
  await until('the driver on vlink0', () => registered.test(output));
  tap = registered.exec(output)![1]!;
  tapIndex = readFileSync(`/sys/class/net/${tap}/ifindex`, 'utf8').trim();
  await until('the start', () => output.includes('following services'));
}, 30_000);

afterAll(async () => {
  const exited = new Promise((r) => host.once('close', r));
  host.kill('SIGINT');
  await exited;
  // The kernel unregisters the TAP once its last descriptor closes: on a loaded machine, a moment after the host exits.
  await until('the driver\'s TAP to go', () => ifindexOf(tap) !== tapIndex);
});

test('the bench publishes vlink0 and the driver stands behind a TAP for it', () => {
  expect(output).toMatch(/virtual bench: vlink0, a virtual link to 10\.203\.0\.2 at 02:64:6b:[0-9a-f:]+0b/);
  expect(output).toMatch(/started EthernetBridgeDriver on vlink0 \(org\.driverkit\.samples\.EthernetBridgeDriver\/EthernetBridgeDriver, score 0, pid \d+\)/);
});

test('ping crosses the driver to the far host and back, with the link\'s delay and duplicates', async () => {
  ip('addr', 'add', '10.203.0.1/24', 'dev', tap);
  ip('link', 'set', tap, 'up');
  await until('carrier', () => readFileSync(`/sys/class/net/${tap}/carrier`, 'utf8').trim() === '1');
  const { stdout } = await exec('ping', ['-c', '3', '-i', '0.2', '-W', '2', '10.203.0.2'], { encoding: 'utf8' }).catch((e: { stdout: string }) => ({ stdout: e.stdout }));
  // ping stops at the third reply, so the last duplicate may come after it has gone.
  expect(stdout).toMatch(/3 packets transmitted, 3 received, \+[23] duplicates, 0% packet loss/);
  // Every reply waited at least the link's 30 ms.
  const times = [...stdout.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]));
  expect(times.length).toBeGreaterThanOrEqual(5);
  expect(Math.min(...times)).toBeGreaterThanOrEqual(30);
});
