import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureFile, PcapEthernetPort } from '@driverkit/networkingdriverkit';

// A real capture as the NIC's received traffic: the driver takes each frame from a replay port and
// hands it to the stack, and what the kernel then receives on the driver's TAP (captured there with
// libpcap) is checked frame by frame against the file.
const sample = join(__dirname, '..');
const root = join(sample, '../..');
const bin = join(root, 'packages/driverkit/bin/driverkit.mjs');
const plugin = join(root, 'packages/networkingdriverkit/dist/plugin.js');
const capture = join(root, '../shared/data/net/tcpdump/eapon1.pcap');

let host: ChildProcess;
let output = '';

async function until(what: string, check: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; host output:\n${output}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

afterAll(async () => {
  if (!host || host.exitCode !== null) return;
  const exited = new Promise((r) => host.once('close', r));
  host.kill('SIGINT');
  await exited;
});

test('the 114 frames of eapon1.pcap reach the kernel through the driver, in order and byte for byte', async () => {
  const socket = join(mkdtempSync(join(tmpdir(), 'dk-brr-')), 'host.sock');
  // The replay waits a second after the driver first asks, so the capture on the TAP is open by then.
  const replay = JSON.stringify([{ path: capture, startDelayMs: 1000 }]);
  host = spawn(process.execPath, [bin, 'run', sample, '--no-discover', '--family', plugin, '--socket', socket], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BRIDGE_VIRTUAL: '0', DRIVERKIT_ETHERNET_REPLAYS: replay } });
  host.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  host.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const registered = /EthernetBridgeDriver: (dk\d+) \(.*\) drives replay0,/;
  await until('the driver on replay0', () => registered.test(output));
  const tap = registered.exec(output)![1]!;
  execFileSync('sysctl', ['-qw', `net.ipv6.conf.${tap}.disable_ipv6=1`]);
  execFileSync('ip', ['link', 'set', tap, 'up']);
  const listen = PcapEthernetPort.open(tap);
  const expected = CaptureFile.read(capture).frames.map((f) => Buffer.from(f.data).toString('hex'));
  const got: string[] = [];
  const buffer = new Uint8Array(2048);
  const take = () => {
    for (let n = listen.receive(buffer, 0, 0n); n > 0; n = listen.receive(buffer, 0, 0n)) got.push(Buffer.from(buffer.subarray(0, n)).toString('hex'));
  };
  listen.onReadable(take);
  try {
    await until('every replayed frame on the TAP', () => (take(), got.length >= expected.length), 20_000);
  } finally {
    listen.close();
  }
  expect(got).toEqual(expected);
}, 40_000);
