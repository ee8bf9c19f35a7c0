import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The sample as a user runs it: `driverkit run`, the driver in its own process, its interface a real
// TAP this test drives with `ip`, as a user would with ifconfig on macOS.
const sample = join(__dirname, '..');
const root = join(sample, '../..');
const bin = join(root, 'packages/driverkit/bin/driverkit.mjs');
const plugin = join(root, 'packages/networkingdriverkit/dist/plugin.js');
const ip = (...args: string[]) => execFileSync('ip', args).toString();
const stat = (name: string, what: string) => Number(readFileSync(`/sys/class/net/${name}/statistics/${what}`, 'utf8'));

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
  const socket = join(mkdtempSync(join(tmpdir(), 'dk-ndks-')), 'host.sock');
  host = spawn(process.execPath, [bin, 'run', sample, '--no-discover', '--family', plugin, '--socket', socket], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NDKS_RECEIVE_INTERVAL_MS: '100' } });
  host.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  host.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  await until('registration', () => /NetworkingDriverKitSample: registered (dk\d+) /.test(output));
  tap = /NetworkingDriverKitSample: registered (dk\d+) /.exec(output)![1]!;
  tapIndex = readFileSync(`/sys/class/net/${tap}/ifindex`, 'utf8').trim();
  // Start has returned once the host says the driver started.
  await until('the start', () => output.includes('following services'));
}, 30_000);

afterAll(async () => {
  const exited = new Promise((r) => host.once('close', r));
  host.kill('SIGINT');
  await exited;
  expect(output).toMatch(/NetworkingDriverKitSample: Stop\(\)/);
  // By index, not name: a test running beside this one may already have a new TAP of the same name. The kernel
  // unregisters the TAP once its last descriptor closes: on a loaded machine, a moment after the host exits (and a
  // read may fail while it does).
  await until('the driver\'s TAP to go', () => {
    try {
      return readFileSync(`/sys/class/net/${tap}/ifindex`, 'utf8').trim() !== tapIndex;
    } catch {
      return true;
    }
  });
});

test('the driver appears in ip link with its MAC address, down and without carrier until enabled', () => {
  expect(output).toMatch(/started NetworkingDriverKitSample on IOUserResources \(com\.example\.apple-samplecode\.NetworkingDriverKitSample\/NetworkingDriverKitSample, score 100000, pid \d+\)/);
  const link = ip('-o', 'link', 'show', tap);
  expect(link).toContain('link/ether 10:22:33:44:55:66');
  expect(link).not.toMatch(/[<,]UP[,>]/);
  expect(output).toMatch(new RegExp(`\\+-o NetworkingDriverKitSample  <class IOUserNetworkEthernet`));
});

test('ip link set up calls SetInterfaceEnable: the link comes up, the timer\'s echo requests reach the kernel, and transmitted frames complete', async () => {
  ip('link', 'set', tap, 'up');
  await until('SetInterfaceEnable(true)', () => output.includes('SetInterfaceEnable(true)'));
  await until('carrier', () => readFileSync(`/sys/class/net/${tap}/carrier`, 'utf8').trim() === '1');
  // 8 canned 98-byte echo requests per receive tick.
  await until('received frames', () => stat(tap, 'rx_packets') >= 16);
  expect(stat(tap, 'rx_bytes') % 98).toBe(0);
  // The kernel sends on its own once the link is up (IPv6 router solicitations, MLD reports).
  await until('transmitted frames', () => stat(tap, 'tx_packets') > 0);
});

test('MTU, promiscuous mode and multicast joins reach the driver; an MTU above its 9000 is put back', async () => {
  ip('link', 'set', tap, 'mtu', '4000');
  await until('SetMTU(4000)', () => output.includes('SetMTU(4000)'));
  ip('link', 'set', tap, 'promisc', 'on');
  await until('SetPromiscuousModeEnable(true)', () => output.includes('SetPromiscuousModeEnable(true)'));
  ip('maddress', 'add', '01:00:5e:01:02:03', 'dev', tap);
  await until('the multicast list', () => /MC\[\d\]: 01:00:5e:01:02:03/.test(output));
  ip('link', 'set', tap, 'mtu', '9500');
  await until('the MTU put back', () => readFileSync(`/sys/class/net/${tap}/mtu`, 'utf8').trim() === '4000');
  await until('the host to say so', () => /MTU 9500 is above the driver's maximum 9000; restoring 4000/.test(output));
  expect(output).not.toContain('SetMTU(9500)');
});

test('ip link set down disables the queues', async () => {
  ip('link', 'set', tap, 'down');
  await until('SetInterfaceEnable(false)', () => output.includes('SetInterfaceEnable(false)'));
});
