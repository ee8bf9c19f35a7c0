import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ifindexOf } from './ifindexOf';

// The real kernel path: a veth pair, one end (the "NIC") in this namespace with no addresses, the
// other in a namespace of its own with 10.201.N.2. The driver runs as a user runs it, `driverkit run`
// with the port named in DRIVERKIT_ETHERNET_PORTS, in its own process; its TAP gets 10.201.N.1, so
// everything between the two addresses crosses the user-space driver both ways.
const sample = join(__dirname, '..');
const root = join(sample, '../..');
const bin = join(root, 'packages/driverkit/bin/driverkit.mjs');
const plugin = join(root, 'packages/networkingdriverkit/dist/plugin.js');
const exec = promisify(execFile);
const id = process.pid % 250;
const ns = `dkbr${process.pid}`;
const nic = `dkva${process.pid}`.slice(0, 15);
const peer = `dkvb${process.pid}`.slice(0, 15);
const here = `10.201.${id}.1`;
const there = `10.201.${id}.2`;

let host: ChildProcess;
let output = '';
let tap = '';
let tapIndex = '';

const sh = (cmd: string, ...args: string[]) => execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
const inNs = (...args: string[]) => sh('ip', 'netns', 'exec', ns, ...args);
const carrier = (name: string) => readFileSync(`/sys/class/net/${name}/carrier`, 'utf8').trim();

async function until(what: string, check: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; host output:\n${output}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function cleanup(): void {
  for (const args of [['netns', 'del', ns], ['link', 'del', nic]]) {
    try {
      sh('ip', ...args);
    } catch {
      // already gone
    }
  }
}

beforeAll(async () => {
  cleanup();
  sh('ip', 'netns', 'add', ns);
  sh('ip', 'link', 'add', nic, 'type', 'veth', 'peer', 'name', peer);
  sh('ip', 'link', 'set', peer, 'netns', ns);
  inNs('ip', 'addr', 'add', `${there}/24`, 'dev', peer);
  // A wire carries whole frames with their checksums; veth would pass 64 KB GSO segments with
  // checksums left to offload. The peer plays the wire, so its offloads go.
  inNs('ethtool', '-K', peer, 'tx', 'off', 'tso', 'off', 'gso', 'off', 'gro', 'off');
  inNs('ip', 'link', 'set', peer, 'up');
  inNs('ip', 'link', 'set', 'lo', 'up');
  // The NIC belongs to the driver: this namespace's stack must not answer on it (ARP, IPv6) as well.
  sh('ip', 'link', 'set', nic, 'arp', 'off');
  sh('sysctl', '-qw', `net.ipv6.conf.${nic}.disable_ipv6=1`);
  sh('ip', 'link', 'set', nic, 'up');
  const socket = join(mkdtempSync(join(tmpdir(), 'dk-br-')), 'host.sock');
  host = spawn(process.execPath, [bin, 'run', sample, '--no-discover', '--family', plugin, '--socket', socket], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DRIVERKIT_ETHERNET_PORTS: nic, BRIDGE_VIRTUAL: '0' } });
  host.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  host.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const registered = new RegExp(`EthernetBridgeDriver: (dk\\d+) \\(.*\\) drives ${nic},`);
  await until('the driver to register its TAP', () => registered.test(output));
  tap = registered.exec(output)![1]!;
  tapIndex = readFileSync(`/sys/class/net/${tap}/ifindex`, 'utf8').trim();
  await until('the start', () => output.includes('following services'));
  sh('ip', 'addr', 'add', `${here}/24`, 'dev', tap);
  sh('ip', 'link', 'set', tap, 'up');
  await until('carrier on the TAP', () => carrier(tap) === '1');
}, 30_000);

afterAll(async () => {
  if (host && host.exitCode === null) {
    const exited = new Promise((r) => host.once('close', r));
    host.kill('SIGINT');
    await exited;
  }
  cleanup();
  // What the test made is gone: the namespace, the veth pair, and the driver's TAP with its host.
  expect(sh('ip', 'netns', 'list')).not.toContain(ns);
  expect(existsSync(`/sys/class/net/${nic}`)).toBe(false);
  // The kernel unregisters the TAP once its last descriptor closes: on a loaded machine, a moment after the host exits.
  await until('the driver\'s TAP to go', () => ifindexOf(tap) !== tapIndex);
});

test('the driver matches the pcap port, starts in its own process and publishes a TAP with its own address', () => {
  expect(output).toMatch(new RegExp(`started EthernetBridgeDriver on ${nic} \\(org\\.driverkit\\.samples\\.EthernetBridgeDriver/EthernetBridgeDriver, score 0, pid \\d+\\)`));
  const mac = readFileSync(`/sys/class/net/${nic}/address`, 'utf8').trim();
  const tapMac = readFileSync(`/sys/class/net/${tap}/address`, 'utf8').trim();
  // The port's address with the locally administered bit flipped.
  expect(parseInt(tapMac.slice(0, 2), 16)).toBe((parseInt(mac.slice(0, 2), 16) ^ 2) & 0xfe);
  expect(tapMac.slice(2)).toBe(mac.slice(2));
});

test('ping goes through the user-space driver both ways, without loss or duplicates', async () => {
  const { stdout } = await exec('ping', ['-c', '5', '-i', '0.2', '-W', '2', there]);
  expect(stdout).toMatch(/5 packets transmitted, 5 received, 0% packet loss/);
  expect(stdout).not.toMatch(/DUP/);
});

test('a TCP transfer of 8 MB comes back byte for byte through the driver', async () => {
  // An echo server in the other namespace: every byte crosses the driver twice.
  const server = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', `require('net').createServer((s) => s.pipe(s)).listen(7007, '${there}', () => console.log('listening'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve) => server.stdout!.once('data', () => resolve()));
    const data = randomBytes(8 << 20);
    const echoed = await new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let n = 0;
      const s = connect(7007, there, () => s.end(data));
      s.on('data', (c: Buffer) => {
        chunks.push(c);
        n += c.length;
      });
      s.on('end', () => resolve(Buffer.concat(chunks, n)));
      s.on('error', reject);
    });
    expect(echoed.length).toBe(data.length);
    expect(createHash('sha256').update(echoed).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
  } finally {
    server.kill();
  }
}, 60_000);

test('the wire going down and up is seen by the kernel as the TAP losing and regaining carrier', async () => {
  inNs('ip', 'link', 'set', peer, 'down');
  await until('NO-CARRIER on the TAP', () => carrier(tap) === '0');
  inNs('ip', 'link', 'set', peer, 'up');
  await until('carrier back on the TAP', () => carrier(tap) === '1');
  // The driver's own log line comes through its process's stdout, after the carrier it set.
  await until('the driver to log both', () => /EthernetBridgeDriver: link down[\s\S]*EthernetBridgeDriver: link up/.test(output));
}, 30_000);

test('killing the driver mid-transfer takes its TAP with it; the host relaunches it on the same port', async () => {
  const pid = Number(new RegExp(`started EthernetBridgeDriver on ${nic} .*pid (\\d+)\\)`).exec(output)![1]);
  const index = readFileSync(`/sys/class/net/${tap}/ifindex`, 'utf8').trim();
  const flood = spawn('ping', ['-f', '-c', '100000', there], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 300));
  process.kill(pid, 'SIGKILL');
  try {
    await until('the old TAP to go', () => ifindexOf(tap) !== index);
  } finally {
    flood.kill();
  }
  const pids = () => [...output.matchAll(new RegExp(`started EthernetBridgeDriver on ${nic} .*pid (\\d+)\\)`, 'g'))].map((m) => Number(m[1]));
  await until('the relaunched driver', () => pids().some((p) => p !== pid));
  expect(output).toMatch(/EthernetBridgeDriver on .* died \(killed by SIGKILL\)/);
}, 30_000);
