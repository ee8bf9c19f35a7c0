// The driver half of the USB bench (usb.bench.ts): in its own process, as users' drivers run, it keeps
// IN_FLIGHT 8-byte interrupt AsyncIOs in flight, each re-armed from its completion, until COUNT have
// completed, then publishes its own CPU time and wall time for the loop (BenchResults); the bench adds
// the host's CPU over the same loop.
import { IOService, OSAction, kIOMemoryDirectionIn, kIOReturnSuccess } from '@driverkit/driverkit';
// The family registers its provider classes (IOUSBHostInterface's driver side) when imported.
import '@driverkit/usbdriverkit';

const COUNT = Number(process.env.USB_BENCH_COUNT ?? 20000);
const IN_FLIGHT = Number(process.env.USB_BENCH_IN_FLIGHT ?? 1);
const WARM_UP = Number(process.env.USB_BENCH_WARM_UP ?? 1000);
if (IN_FLIGHT > 255) throw new Error('USB_BENCH_IN_FLIGHT: at most 255 slots (their index is one reference byte)');

export class USBBenchDriver extends IOService {
  async Start(provider) {
    await super.Start(provider);
    await provider.Open(this, 0, 0);
    this.pipe = await provider.CopyPipe(0x81);
    this.slots = Array.from({ length: IN_FLIGHT }, (_, i) => {
      // The slot's index in the reference's first byte, read back per completion without allocating (as the in-process loop does).
      const action = OSAction.Create(this, 'Complete', 1);
      action.GetReference()[0] = i;
      return { buffer: provider.CreateIOBuffer(kIOMemoryDirectionIn, 8), action };
    });
    this.RegisterService();
    // After Start has returned: the host's proxy of this service exists then, and sees each property as it is set.
    setTimeout(() => void this.bench().catch((e) => this.setProperty('BenchFailed', e.message)), 100);
  }

  async bench() {
    await this.loop(WARM_UP);
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
    this.outstanding = 0;
    return new Promise((resolve, reject) => {
      this.done = resolve;
      this.failed = reject;
      for (const slot of this.slots) this.submit(slot);
    });
  }

  submit(slot) {
    if (this.remaining - this.outstanding <= 0) return;
    this.outstanding++;
    this.pipe.AsyncIO(slot.buffer, 8, slot.action, 0);
  }

  Complete(action, status) {
    if (status !== kIOReturnSuccess) return this.failed(new Error(`AsyncIO status 0x${(status >>> 0).toString(16)}`));
    this.outstanding--;
    if (--this.remaining <= 0) return this.outstanding === 0 && this.done();
    this.submit(this.slots[action.GetReference()[0]]);
  }
}
