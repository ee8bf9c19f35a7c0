// Guest tier: a USB driver in its own process on a real device. The MyUserUSBInterfaceDriver sample,
// unchanged, runs through `driverkit run --no-bench` on a FunctionFS gadget shaped like its bench
// device; the host grants the interface's Open and the driver process opens the device itself
// through libusb: the usbfs node is held by the driver's process, not the host's, while reports flow.
import { execFile, spawn } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { waitFor } from '../test/helpers';

const exec = promisify(execFile);
const root = join(__dirname, '../../..');
const bin = join(root, 'packages/driverkit/bin/driverkit.mjs');

/** The usbfs nodes process `pid` has open. */
function usbfsNodes(pid: number): string[] {
  const dir = `/proc/${pid}/fd`;
  return readdirSync(dir)
    .map((fd) => {
      try {
        return readlinkSync(join(dir, fd));
      } catch {
        return '';
      }
    })
    .filter((target) => target.startsWith('/dev/bus/usb/'));
}


test('the sample interface driver opens the real device in its own process and reads its interrupt pipe there', async () => {
  const { FunctionFsGadget } = await import('../../../scripts/guest/helpers/FunctionFsGadget');
  const gadget = FunctionFsGadget.create({
    name: 'dk_sensor',
    idVendor: 0x1209,
    idProduct: 0x5553,
    product: 'DriverKit sensor',
    model: { interfaceClass: 0xff, interfaceSubClass: 0, interfaceProtocol: 0, interfaceName: 'sensor', endpoints: [{ direction: 'in', type: 'interrupt' }] },
  });
  // The sensor: an 8-byte report with its sample counter each time the driver polls.
  let pumping = true;
  let sent = 0;
  const pump = (async () => {
    while (pumping) {
      const report = Buffer.alloc(8);
      report.writeUInt32LE(sent + 1, 0);
      await gadget.send(0, report).then(
        () => void sent++,
        () => new Promise((r) => setTimeout(r, 50)),
      );
    }
  })();
  const socket = join(process.env.TMPDIR ?? '/tmp', 'usb-driver-guest.sock');
  const host = spawn(process.execPath, [bin, 'run', join(root, 'samples/MyUserUSBInterfaceDriver'), '--no-bench', '--socket', socket], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  host.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  host.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const ioreg = async () => (await exec(process.execPath, [bin, 'ioreg', '-l', '--socket', socket], { timeout: 60_000 })).stdout;
  try {
    await waitFor(() => /started MyUserUSBInterfaceDriver on IOUSBHostInterface/.test(output) || host.exitCode !== null, 60_000, 'the driver started');
    const pid = Number(/started MyUserUSBInterfaceDriver on IOUSBHostInterface .*pid (\d+)\)/.exec(output)?.[1]);
    expect(pid).toBeGreaterThan(0);
    await waitFor(async () => Number(/"ReportCount" = (\d+)/.exec(await ioreg())?.[1] ?? 0) >= 5, 60_000, 'five reports');
    const last = /"LastReport" = <([0-9a-f]{16})>/.exec(await ioreg())![1]!;
    expect(Buffer.from(last, 'hex').readUInt32LE(0)).toBeGreaterThanOrEqual(5);
    // The device is open where the driver runs, and only there.
    expect(usbfsNodes(pid).length).toBeGreaterThan(0);
    expect(usbfsNodes(host.pid!)).toEqual([]);
  } finally {
    pumping = false;
    const exited = new Promise((r) => host.once('exit', r));
    host.kill('SIGINT');
    await exited;
    gadget.remove();
    await pump;
  }
  expect(output).toMatch(/MyUserUSBInterfaceDriver - Stop\(\)/);
  expect(output).not.toMatch(/uncaught|unhandled/i);
}, 120_000);
