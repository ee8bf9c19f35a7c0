import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Apple's sample as a user runs it: `driverkit run` on the virtual PEX 8733 (its virtual bridge and two
// DMA channel functions), each personality's driver in its own process, the DMA engine model running
// in the channel driver's process and moving the bytes the driver prepared with IODMACommand.
const sample = join(__dirname, '..');
const bin = join(sample, '../../packages/driverkit/bin/driverkit.mjs');

let host: ChildProcess;
let output = '';

async function until(re: RegExp): Promise<void> {
  const end = Date.now() + 20_000;
  while (!re.test(output)) {
    if (Date.now() > end || host.exitCode !== null) throw new Error(`no ${re} from the host:\n${output}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

beforeAll(async () => {
  const socket = join(mkdtempSync(join(tmpdir(), 'dk-pex-')), 'host.sock');
  host = spawn(process.execPath, [bin, 'run', sample, '--socket', socket], { stdio: ['ignore', 'pipe', 'pipe'] });
  host.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  host.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  await until(/following services/);
}, 30_000);

afterAll(async () => {
  if (host.exitCode !== null) return;
  const exited = new Promise((r) => host.once('exit', r));
  host.kill('SIGINT');
  await exited;
});

test('both personalities match by IOPCIPrimaryMatch under the sample\'s transport.pci entitlement', async () => {
  // The drivers' own logs come from their processes and may arrive after the host has printed the tree.
  await until(/PCIDriverKitPEX8733::Start: {2}skipping function 2/);
  await until(/PCIDriverKitPEX8733VBridge::Start: {2}enabling bus lead/);
  expect(output).toMatch(/loaded com\.apple\.PCIDriverKitPEX8733 \(2 personalities\)/);
  expect(output).toMatch(/started PCIDriverKitPEX8733VBridge on pci10b5,8733 \(com\.apple\.PCIDriverKitPEX8733\/Virtual Bridge, score 1000, pid \d+\)/);
  expect(output.match(/started PCIDriverKitPEX8733 on pci10b5,87d0 \(com\.apple\.PCIDriverKitPEX8733\/PCIDriverKitPEX8733 ChannelFunctions, score 1000, pid \d+\)/g)).toHaveLength(2);
  expect(output).toMatch(/PCIDriverKitPEX8733VBridge::Start: {2}enabling bus lead and memory space/);
  expect(output).toMatch(/PCIDriverKitPEX8733::Start: {2}skipping function 2/);
});

test('function 1 runs the block transfer, then the descriptor ring, each checked by the sample', async () => {
  await until(/PCIDriverKitPEX8733::InterruptOccurred: {2}Tests complete/);
  const log = output.split('\n').filter((l) => l.includes('PCIDriverKitPEX8733::')).map((l) => l.replace(/^.*PCIDriverKitPEX8733::/, ''));
  const from = log.indexOf('dmaBlockTransferTest:  starting dmaBlockTransferTest');
  expect(from).toBeGreaterThanOrEqual(0);
  expect(log.slice(from)).toEqual([
    'dmaBlockTransferTest:  starting dmaBlockTransferTest',
    expect.stringMatching(/^InterruptOccurred: {2}interrupt control status 0x[0-9a-f]*4[0-9a-f]{4}$/), // Descriptor Done (bit 18)
    'InterruptOccurred:  dma successful',
    'dmaDescriptorTransferTest:  starting dmaDescriptorTransferTest',
    expect.stringMatching(/^InterruptOccurred: {2}interrupt control status 0x/),
    'InterruptOccurred:  dma[0] successful',
    'InterruptOccurred:  dma[1] successful',
    'InterruptOccurred:  dma[2] successful',
    'InterruptOccurred:  dma[3] successful',
    'InterruptOccurred:  Tests complete',
  ]);
  expect(output).not.toMatch(/do not match|unkown test/);
}, 30_000);

test('Ctrl-C stops every function\'s driver, which turns bus lead and memory space off', async () => {
  const exited = new Promise<number | null>((r) => host.once('exit', r));
  host.kill('SIGINT');
  expect(await exited).toBe(0);
  expect(output.match(/PCIDriverKitPEX8733::Stop: {2}disabling bus lead and memory space/g)!.length).toBeGreaterThanOrEqual(2);
  expect(output).toMatch(/PCIDriverKitPEX8733VBridge::Stop: {2}disabling bus lead and memory space/);
  expect(output).toMatch(/stopped\./);
}, 20_000);
