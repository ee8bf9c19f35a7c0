// Packets/s and Mbit/s from a UDP sender in this namespace to a veth peer in another, along three
// paths measured in the same run:
//   driver:  socket → TAP → host → EthernetBridgeDriver (its own process) → libpcap inject → veth → peer
//   bridge:  socket → veth → Linux bridge → veth → peer (the kernel forwarding the same traffic)
//   forward: socket → TAP → a plain Node loop (readSync on the TAP, pcap_inject) → veth → peer
// The count is the peer's rx_packets, so nothing in the receiving namespace runs. Goals (issue 17):
// driver ≥ 0.8× bridge at 64 B, driver ≥ 1.0× forward, and the driver's memory flat at full rate.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { figure } from '../../../scripts/bench/figures.cjs';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const bin = join(root, 'packages/driverkit/bin/driverkit.mjs');
const plugin = join(root, 'packages/networkingdriverkit/dist/plugin.js');
const sample = join(root, 'samples/EthernetBridgeDriver');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const sh = (...args: string[]) => execFileSync(args[0]!, args.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
const quiet = (...args: string[]) => {
  try {
    sh(...args);
  } catch {
    // already gone
  }
};
const stat = (ns: string, dev: string, what: string) => Number(sh('ip', 'netns', 'exec', ns, 'cat', `/sys/class/net/${dev}/statistics/${what}`));

interface Path {
  name: string;
  ns: string;
  peer: string;
  target: string;
}

/** A namespace with a veth peer at `10.21X.0.2`, offloads off (it plays a wire); returns the root end. */
function wire(tag: string, subnet: number): { path: Omit<Path, 'name'>; rootEnd: string } {
  const ns = `dkbench${tag}`;
  const rootEnd = `dkb${tag}a`;
  const peer = `dkb${tag}b`;
  quiet('ip', 'netns', 'del', ns);
  quiet('ip', 'link', 'del', rootEnd);
  sh('ip', 'netns', 'add', ns);
  sh('ip', 'link', 'add', rootEnd, 'type', 'veth', 'peer', 'name', peer);
  sh('ip', 'link', 'set', peer, 'netns', ns);
  sh('ip', 'netns', 'exec', ns, 'ethtool', '-K', peer, 'tx', 'off', 'tso', 'off', 'gso', 'off', 'gro', 'off');
  sh('ip', 'netns', 'exec', ns, 'ip', 'addr', 'add', `10.${subnet}.0.2/24`, 'dev', peer);
  sh('ip', 'netns', 'exec', ns, 'ip', 'link', 'set', peer, 'up');
  sh('ethtool', '-K', rootEnd, 'tx', 'off', 'tso', 'off', 'gso', 'off', 'gro', 'off');
  sh('sysctl', '-qw', `net.ipv6.conf.${rootEnd}.disable_ipv6=1`);
  return { path: { ns, peer, target: `10.${subnet}.0.2` }, rootEnd };
}

async function until(what: string, check: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Sends UDP datagrams of `payload` bytes to `target` as fast as one Node process can, for `seconds`. */
function send(target: string, payload: number, seconds: number): Promise<number> {
  const script = `
    const s = require('dgram').createSocket('udp4');
    const b = Buffer.alloc(${payload});
    let sent = 0;
    const end = Date.now() + ${seconds * 1000};
    const burst = () => {
      if (Date.now() > end) return s.close(() => console.log(sent));
      let pending = 256;
      for (let i = 0; i < 256; i++) s.send(b, 9, '${target}', () => { sent++; if (--pending === 0) setImmediate(burst); });
    };
    burst();`;
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    p.on('exit', () => resolve(Number(out.trim())));
  });
}

async function measure(path: Path, payload: number): Promise<{ pps: number; mbps: number; sent: number }> {
  // Resolve the neighbour first, so the count is of the flood only.
  quiet('ping', '-c', '1', '-W', '2', path.target);
  const before = stat(path.ns, path.peer, 'rx_packets');
  const t0 = performance.now();
  const sent = await send(path.target, payload, SECONDS);
  await new Promise((r) => setTimeout(r, 200));
  const elapsed = (performance.now() - t0 - 200) / 1000;
  const got = stat(path.ns, path.peer, 'rx_packets') - before;
  const frame = payload + 42;
  return { pps: got / elapsed, mbps: (got * frame * 8) / elapsed / 1e6, sent: sent / elapsed };
}

function rssKiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
}

async function main(): Promise<void> {
  const children: ChildProcess[] = [];
  const cleanup: Array<() => void> = [];
  try {
    // driver
    const d = wire('d', 210);
    sh('ip', 'link', 'set', d.rootEnd, 'arp', 'off');
    sh('ip', 'link', 'set', d.rootEnd, 'up');
    cleanup.push(() => quiet('ip', 'netns', 'del', d.path.ns), () => quiet('ip', 'link', 'del', d.rootEnd));
    const socket = join(mkdtempSync(join(tmpdir(), 'dk-bench-')), 'host.sock');
    const host = spawn(process.execPath, [bin, 'run', sample, '--no-discover', '--family', plugin, '--socket', socket], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, BRIDGE_VIRTUAL: '0', DRIVERKIT_ETHERNET_PORTS: d.rootEnd } });
    children.push(host);
    let output = '';
    host.stdout!.on('data', (b: Buffer) => { output += b.toString(); if (process.env.BENCH_ECHO) process.stdout.write(b.toString().split('\n').filter((l) => /calls/.test(l)).map((l) => l + '\n').join('')); });
    const registered = new RegExp(`EthernetBridgeDriver: (dk\\d+) \\(.*\\) drives ${d.rootEnd},`);
    // The driver says it registered during its Start; the host says it started it once Start returns.
    const started = new RegExp(`started EthernetBridgeDriver on ${d.rootEnd} .*pid (\\d+)\\)`);
    await until('the driver', () => registered.test(output) && started.test(output));
    const tap = registered.exec(output)![1]!;
    const driverPid = Number(started.exec(output)![1]);
    sh('ip', 'addr', 'add', '10.210.0.1/24', 'dev', tap);
    sh('ip', 'link', 'set', tap, 'up');
    await until('carrier', () => readFileSync(`/sys/class/net/${tap}/carrier`, 'utf8').trim() === '1');

    // bridge: root veth x (10.211.0.1) → its peer y in a bridge with the wire's root end.
    const b = wire('k', 211);
    quiet('ip', 'link', 'del', 'dkbkx');
    quiet('ip', 'link', 'del', 'dkbkbr');
    sh('ip', 'link', 'add', 'dkbkx', 'type', 'veth', 'peer', 'name', 'dkbky');
    sh('ip', 'link', 'add', 'dkbkbr', 'type', 'bridge');
    for (const dev of ['dkbky', b.rootEnd]) sh('ip', 'link', 'set', dev, 'master', 'dkbkbr');
    for (const dev of ['dkbkx', 'dkbky']) sh('ethtool', '-K', dev, 'tx', 'off', 'tso', 'off', 'gso', 'off', 'gro', 'off');
    sh('ip', 'addr', 'add', '10.211.0.1/24', 'dev', 'dkbkx');
    for (const dev of ['dkbkx', 'dkbky', 'dkbkbr', b.rootEnd]) sh('ip', 'link', 'set', dev, 'up');
    cleanup.push(() => quiet('ip', 'netns', 'del', b.path.ns), () => quiet('ip', 'link', 'del', 'dkbkx'), () => quiet('ip', 'link', 'del', 'dkbkbr'), () => quiet('ip', 'link', 'del', b.rootEnd));

    // forward: a TAP (10.212.0.1) that a plain Node loop reads and injects on the wire's root end.
    const f = wire('f', 212);
    sh('ip', 'link', 'set', f.rootEnd, 'arp', 'off');
    sh('ip', 'link', 'set', f.rootEnd, 'up');
    cleanup.push(() => quiet('ip', 'netns', 'del', f.path.ns), () => quiet('ip', 'link', 'del', f.rootEnd));
    const forwarder = join(mkdtempSync(join(tmpdir(), 'dk-fwd-')), 'forward.mjs');
    writeFileSync(
      forwarder,
      `import { createRequire } from 'node:module';
       import { openSync, readSync } from 'node:fs';
       const require = createRequire(${JSON.stringify(join(root, 'packages/networkingdriverkit/package.json'))});
       const { TapInterface, PcapEthernetPort } = await import(${JSON.stringify(join(root, 'packages/networkingdriverkit/dist/index.js'))});
       const { LinuxNative } = await import(${JSON.stringify(join(root, 'packages/driverkit/dist/index.js'))});
       const tap = TapInterface.open('dkbfwd');
       tap.setCarrier(true);
       const out = PcapEthernetPort.open(${JSON.stringify(f.rootEnd)});
       console.log('ready', tap.name);
       const buf = new Uint8Array(2048);
       for (;;) {
         await LinuxNative.pollReadable([tap.fd]);
         for (;;) {
           let n;
           try { n = readSync(tap.fd, buf, 0, buf.length, null); } catch { break; }
           out.send(buf, 0, n, 0n);
         }
       }`,
    );
    const fwd = spawn(process.execPath, [forwarder], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(fwd);
    await new Promise<void>((resolve) => fwd.stdout!.once('data', () => resolve()));
    sh('ip', 'addr', 'add', '10.212.0.1/24', 'dev', 'dkbfwd');
    sh('ip', 'link', 'set', 'dkbfwd', 'up');
    // The forwarder carries one way only, so ARP cannot resolve the peer: name its address outright.
    const peerMac = sh('ip', 'netns', 'exec', f.path.ns, 'cat', `/sys/class/net/${f.path.peer}/address`).trim();
    sh('ip', 'neigh', 'replace', f.path.target, 'lladdr', peerMac, 'dev', 'dkbfwd', 'nud', 'permanent');

    const paths: Path[] = [
      { name: 'driver', ...d.path },
      { name: 'bridge', ...b.path },
      { name: 'forward', ...f.path },
    ];
    console.log(`networking: UDP from one Node sender for ${SECONDS} s per path; counted at the peer's rx_packets`);
    for (const [label, payload] of [['64 B frames', 18], ['1500 B frames', 1472]] as const) {
      const r: Record<string, { pps: number; mbps: number; sent: number }> = {};
      for (const p of paths) r[p.name] = await measure(p, payload);
      for (const p of paths) console.log(`  ${label.padEnd(14)} ${p.name.padEnd(8)} ${(r[p.name]!.pps / 1000).toFixed(1).padStart(7)} kpps ${r[p.name]!.mbps.toFixed(0).padStart(6)} Mbit/s   (sender ${(r[p.name]!.sent / 1000).toFixed(1)} kpps)`);
      console.log(`  ${label.padEnd(14)} driver/bridge ${(r.driver!.pps / r.bridge!.pps).toFixed(2)}×${label.startsWith('64') ? ' (goal ≥ 0.8)' : ''}   driver/forward ${(r.driver!.pps / r.forward!.pps).toFixed(2)}× (goal ≥ 1.0)`);
      const short = label.startsWith('64');
      figure({ figure: `UDP ${label} through the driver, against the kernel bridge`, value: r.driver!.pps / 1000, unit: 'kpps', baseline: 'kernel bridge', baselineValue: r.bridge!.pps / 1000, ...(short ? { goal: '≥ 0.8× baseline', met: r.driver!.pps >= 0.8 * r.bridge!.pps } : {}) });
      figure({ figure: `UDP ${label} through the driver, against a Node forwarder`, value: r.driver!.pps / 1000, unit: 'kpps', baseline: 'plain Node forwarder', baselineValue: r.forward!.pps / 1000, goal: '≥ 1.0× baseline', met: r.driver!.pps >= r.forward!.pps });
      if (r.bridge!.pps > 0.9 * r.bridge!.sent) console.log(`  ${label.padEnd(14)} (the bridge kept up with the sender: its figure is the sender's limit, so driver/bridge is an upper bound)`);
    }
    // Memory at full rate: the driver process's resident set over a longer flood.
    const long = Number(process.env.BENCH_MEMORY_SECONDS ?? 10);
    const rss0 = rssKiB(driverPid);
    await send(d.path.target, 18, long);
    const rss1 = rssKiB(driverPid);
    figure({ figure: `driver process RSS growth over ${long} s of 64 B frames`, value: ((rss1 - rss0) / rss0) * 100, unit: '%' });
    console.log(`  memory: the driver process's RSS ${(rss0 / 1024).toFixed(1)} → ${(rss1 / 1024).toFixed(1)} MiB over ${long} s of 64 B frames (${(((rss1 - rss0) / rss0) * 100).toFixed(1)}%)`);
    host.kill('SIGINT');
    await new Promise((r) => host.once('exit', r));
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    for (const c of cleanup.reverse()) c();
    quiet('ip', 'link', 'del', 'dkbfwd');
  }
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
