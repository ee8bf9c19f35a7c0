// `npm run bench` in this package: the USB family on the virtual backend, in process, against bare
// loops doing the same byte work in the same run. Targets are reported, never asserted.
import { IOBufferMemoryDescriptor, IOService, IOServiceHost, OSAction, kIOMemoryDirectionIn, kIOReturnSuccess, type OSString } from '@driverkit/driverkit';
import { fileURLToPath } from 'node:url';
import { figure } from '../../../scripts/bench/figures.cjs';
import { IOUSBHostInterface, USBHostController, USBMatchingFamily, VirtualUSBHost, type IOUSBHostPipe, type USBDeviceLocator, type VirtualUSBDeviceModel } from '../src/index';
// @ts-expect-error: plain JavaScript shared with the driver process, which runs it as is
import { benchDeviceModel } from './usb-bench-driver/bench-device.mjs';

const CHUNK = 64 * 1024;
// The bare loops' bytes, as the bench device answers them.
const payload = new Uint8Array(CHUNK).fill(0xa5);
const report = new Uint8Array(8).fill(1);

class Reader extends IOService {
  remaining = 0;
  done: () => void = () => {};
  pipe!: IOUSBHostPipe;
  buffers: IOBufferMemoryDescriptor[] = [];
  length = 0;
  Complete(action: OSAction, status: number): void {
    if (status !== kIOReturnSuccess) throw new Error(`status 0x${(status >>> 0).toString(16)}`);
    if (--this.remaining <= 0) return this.done();
    // Re-arm with the buffer this completion belongs to (its reference byte).
    this.pipe.AsyncIO(this.buffers[action.GetReference()[0]!]!, this.length, action, 0);
  }
}

const benchDevice = fileURLToPath(new URL('usb-bench-driver/bench-device.mjs', import.meta.url));

/** The virtual bus, saying where a driver process finds the bench device to open it itself (as libusb's devices are). */
class LocatedBus extends VirtualUSBHost {
  locate(id: string): USBDeviceLocator {
    return { backend: 'module', id, module: benchDevice, export: 'LocatedBenchBackend' };
  }
}

/** A host with the bench device on the virtual bus (bench-device.mjs): interrupt IN 0x81 (8-byte reports), bulk IN 0x82. */
async function benchHost(host: IOServiceHost, located = false): Promise<USBHostController> {
  host.registerFamily(USBMatchingFamily);
  const usb = located ? new LocatedBus() : new VirtualUSBHost();
  const controller = new USBHostController(host, [usb]);
  await controller.start();
  usb.attach(benchDeviceModel as VirtualUSBDeviceModel);
  return controller;
}

async function setup() {
  const host = new IOServiceHost({ mode: 'in-process', log: () => {} });
  const controller = await benchHost(host);
  await new Promise((r) => setTimeout(r, 10));
  const iface = controller.nubs().find((n) => n instanceof IOUSBHostInterface) as IOUSBHostInterface;
  const reader = new Reader();
  reader.init();
  await iface.Open(reader);
  return { host, controller, iface, reader };
}

async function stream(reader: Reader, pipe: IOUSBHostPipe, length: number, queued: number, count: number): Promise<{ ns: number; cpuUs: number }> {
  reader.pipe = pipe;
  reader.length = length;
  reader.buffers = Array.from({ length: queued }, () => IOBufferMemoryDescriptor.Create(kIOMemoryDirectionIn, length));
  reader.remaining = count;
  const finished = new Promise<void>((r) => (reader.done = r));
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < queued; i++) {
    const action = OSAction.Create(reader, 'Complete', 1);
    action.GetReference()[0] = i;
    pipe.AsyncIO(reader.buffers[i]!, length, action, 0);
  }
  await finished;
  const ns = Number(process.hrtime.bigint() - t0);
  const cpu = process.cpuUsage(cpu0);
  return { ns, cpuUs: cpu.user + cpu.system };
}

async function bare(length: number, count: number): Promise<number> {
  const dst = new Uint8Array(length);
  const src = length === 8 ? report : payload;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    await Promise.resolve();
    dst.set(src);
  }
  return Number(process.hrtime.bigint() - t0);
}

const { host, controller, iface, reader } = await setup();
console.log('\nusb (virtual backend, in process)');
const interrupt = await iface.CopyPipe(0x81);
const WARM_UP = 2000;
await stream(reader, interrupt, 8, 1, WARM_UP);
const N = 50_000;
const r = await stream(reader, interrupt, 8, 1, N);
const perIO = (r.cpuUs * 1000) / N;
const bareIO = (await bare(8, N)) / N;
console.log(`  AsyncIO submit + completion (8-byte interrupt)   ${(perIO / 1000).toFixed(2)} µs CPU   (bare await + copy ${(bareIO / 1000).toFixed(2)} µs, ratio ${(perIO / bareIO).toFixed(1)}×)`);
console.log(`  target ≤ 5 µs per AsyncIO (an 8 kHz stream ≤ 4% of a core): ${perIO <= 5000 ? 'met' : 'NOT met'}; 8 kHz costs ${((perIO * 8000) / 1e9 * 100).toFixed(1)}% of a core`);
figure({ figure: 'AsyncIO submit + completion, 8-byte interrupt, in process (CPU)', value: perIO / 1000, unit: 'µs', baseline: 'await + copy', baselineValue: bareIO / 1000, goal: '≤ 5 µs', met: perIO <= 5000 });

const bulk = await iface.CopyPipe(0x82);
await stream(reader, bulk, CHUNK, 4, 200);
const M = 4000;
const b = await stream(reader, bulk, CHUNK, 4, M);
const mbps = (M * CHUNK) / (b.ns / 1e9) / 1e6;
const bareMbps = (M * CHUNK) / ((await bare(CHUNK, M)) / 1e9) / 1e6;
console.log(`  bulk IN, 4 × 64 KiB queued                       ${mbps.toFixed(0)} MB/s   (bare copy loop ${bareMbps.toFixed(0)} MB/s, ${((mbps / bareMbps) * 100).toFixed(0)}%)`);
figure({ figure: 'bulk IN, 4 × 64 KiB queued, in process', value: mbps, unit: 'MB/s', baseline: 'await + copy loop', baselineValue: bareMbps });
await iface.Close(reader);
await controller.stop();
await host.stop();

/**
 * The same interrupt loop driven from a driver in its own process (bench/usb-bench-driver), as users'
 * drivers run: each AsyncIO crosses to the host and its completion back. CPU per IO counts both
 * processes over the driver's timed loop (the driver's own figure, and the host's between the driver's
 * two properties).
 */
async function fromDriverProcess(inFlight: number, located = false): Promise<{ perIO: number; driverUs: number; hostUs: number; wallUs: number }> {
  // The driver process inherits the host's environment. On a device it opens itself it runs the
  // in-process loop's count and warm-up, so the two figures compare the same steady state (a shorter
  // loop still counts the JIT's and the young heap's first turns).
  process.env.USB_BENCH_IN_FLIGHT = String(inFlight);
  process.env.USB_BENCH_COUNT = String(located ? N : 20_000);
  process.env.USB_BENCH_WARM_UP = String(located ? WARM_UP : 1000);
  const h = new IOServiceHost({ log: process.env.BENCH_LOG ? (l) => console.log(l) : () => {} });
  const c = await benchHost(h, located);
  let hostCpu0: NodeJS.CpuUsage | null = null;
  const results = new Promise<{ count: number; ns: number; cpuUs: number; hostUs: number }>((resolve, reject) => {
    h.onEvent((e) => e.kind === 'failed' && reject(new Error(e.message)));
    h.registry.listen({
      propertiesChanged: (entry) => {
        const failed = entry.getProperty('BenchFailed');
        if (failed) reject(new Error(`the bench driver failed: ${(failed as OSString).getCStringNoCopy()}`));
        if (!hostCpu0 && entry.getProperty('BenchRunning')) hostCpu0 = process.cpuUsage();
        const done = entry.getProperty('BenchResults');
        if (done && hostCpu0) {
          const cpu = process.cpuUsage(hostCpu0);
          resolve({ ...JSON.parse((done as OSString).getCStringNoCopy()), hostUs: cpu.user + cpu.system });
        }
      },
    });
  });
  h.addDriverBundle(fileURLToPath(new URL('usb-bench-driver', import.meta.url)));
  const r = await results;
  await c.stop();
  await h.stop();
  return { perIO: ((r.cpuUs + r.hostUs) * 1000) / r.count, driverUs: (r.cpuUs * 1000) / r.count, hostUs: (r.hostUs * 1000) / r.count, wallUs: r.ns / r.count };
}

const remote = await fromDriverProcess(1);
console.log(`  AsyncIO from a driver process (8-byte interrupt) ${(remote.perIO / 1000).toFixed(2)} µs CPU   (driver ${(remote.driverUs / 1000).toFixed(2)} + host ${(remote.hostUs / 1000).toFixed(2)}; ${(remote.wallUs / 1000).toFixed(1)} µs wall; ${(remote.perIO / perIO).toFixed(2)}× in process)`);
figure({ figure: 'AsyncIO submit + completion, 8-byte interrupt, from a driver process (CPU, both processes)', value: remote.perIO / 1000, unit: 'µs', baseline: 'the same in process', baselineValue: perIO / 1000, goal: '≤ 1.3× baseline', met: remote.perIO <= 1.3 * perIO });
// One transfer in flight pays two process wake-ups per transfer; with more in flight the transfer
// channel carries several per wake-up, which is where a cross-process design can approach one process.
const batched = await fromDriverProcess(32);
console.log(`  the same, 32 in flight                           ${(batched.perIO / 1000).toFixed(2)} µs CPU   (driver ${(batched.driverUs / 1000).toFixed(2)} + host ${(batched.hostUs / 1000).toFixed(2)}; ${(batched.perIO / perIO).toFixed(2)}× in process)`);
figure({ figure: 'AsyncIO submit + completion, 8-byte interrupt, 32 in flight, from a driver process (CPU, both processes)', value: batched.perIO / 1000, unit: 'µs', baseline: 'one in flight, in process', baselineValue: perIO / 1000, goal: '≤ 1.3× baseline', met: batched.perIO <= 1.3 * perIO });
// A device the driver process opens itself (libusb's, here the bench device made in that process): the
// host grants the Open and is out of the data path, so only the driver process's CPU remains.
const located = await fromDriverProcess(1, true);
console.log(`  the same on a device the driver opens itself        ${(located.perIO / 1000).toFixed(2)} µs CPU   (driver ${(located.driverUs / 1000).toFixed(2)} + host ${(located.hostUs / 1000).toFixed(2)}; ${(located.perIO / perIO).toFixed(2)}× in process)`);
figure({ figure: 'AsyncIO submit + completion, 8-byte interrupt, from a driver process that opened the device itself (CPU, both processes)', value: located.perIO / 1000, unit: 'µs', baseline: 'the same in process', baselineValue: perIO / 1000, goal: '≤ 1.3× baseline', met: located.perIO <= 1.3 * perIO });
