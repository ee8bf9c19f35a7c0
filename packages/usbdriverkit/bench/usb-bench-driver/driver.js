// The driver half of the USB bench (usb.bench.ts): in its own process, as users' drivers run, it keeps one
// 8-byte interrupt AsyncIO in flight and re-arms it from the completion, COUNT times, then publishes its
// own CPU time and wall time for the loop (BenchResults); the bench adds the host's CPU over the same loop.
import { IOService, OSAction, kIOMemoryDirectionIn, kIOReturnSuccess } from '@driverkit/driverkit';
// The family registers its provider classes (IOUSBHostInterface's driver side) when imported.
import '@driverkit/usbdriverkit';

const COUNT = Number(process.env.USB_BENCH_COUNT ?? 20000);

export class USBBenchDriver extends IOService {
  async Start(provider) {
    await super.Start(provider);
    await provider.Open(this, 0, 0);
    this.pipe = await provider.CopyPipe(0x81);
    this.buffer = provider.CreateIOBuffer(kIOMemoryDirectionIn, 8);
    this.action = OSAction.Create(this, 'Complete', 0);
    this.RegisterService();
    // After Start has returned: the host's proxy of this service exists then, and sees each property as it is set.
    setTimeout(() => void this.bench().catch((e) => this.setProperty('BenchFailed', e.message)), 100);
  }

  async bench() {
    await this.loop(1000); // warm-up
    this.setProperty('BenchRunning', true);
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    await this.loop(COUNT);
    const ns = Number(process.hrtime.bigint() - t0);
    const cpu = process.cpuUsage(cpu0);
    this.setProperty('BenchResults', JSON.stringify({ count: COUNT, ns, cpuUs: cpu.user + cpu.system }));
  }

  loop(n) {
    this.remaining = n;
    return new Promise((resolve, reject) => {
      this.done = resolve;
      this.failed = reject;
      this.pipe.AsyncIO(this.buffer, 8, this.action, 0);
    });
  }

  Complete(_action, status) {
    if (status !== kIOReturnSuccess) return this.failed(new Error(`AsyncIO status 0x${(status >>> 0).toString(16)}`));
    if (--this.remaining <= 0) return this.done();
    this.pipe.AsyncIO(this.buffer, 8, this.action, 0);
  }
}
