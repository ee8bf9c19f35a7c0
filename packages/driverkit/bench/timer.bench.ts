import { IODispatchQueue, IOTimerDispatchSource, OSAction, OSObject, kIOTimerClockMonotonicRaw, mach_absolute_time } from '@driverkit/driverkit';
import { figure } from './harness';

const PERIOD = 1_000_000n;
const TICKS = 1_000;

class Ticker extends OSObject {
  source!: IOTimerDispatchSource;
  deadline = 0n;
  lateness: number[] = [];
  done!: () => void;

  TimerOccurred(_action: OSAction, _time: bigint): void {
    this.lateness.push(Number(mach_absolute_time() - this.deadline));
    if (this.lateness.length === TICKS) return this.done();
    this.deadline += PERIOD;
    this.source.WakeAtTime(kIOTimerClockMonotonicRaw, this.deadline, 0n);
  }
}

export async function run(): Promise<void> {
  console.log('\ntimer');
  const t = new Ticker();
  t.source = IOTimerDispatchSource.Create(IODispatchQueue.Create('timer', 0, 0));
  t.source.SetHandler(OSAction.Create(t, 'TimerOccurred', 0));
  await new Promise<void>((resolve) => {
    t.done = resolve;
    t.deadline = mach_absolute_time() + PERIOD;
    t.source.WakeAtTime(kIOTimerClockMonotonicRaw, t.deadline, 0n);
  });
  t.source.Cancel();
  const sorted = [...t.lateness].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! / 1e3;
  console.log(`  WakeAtTime every 1 ms, ${TICKS} ticks: lateness median ${at(0.5).toFixed(0)} µs, p99 ${at(0.99).toFixed(0)} µs, max ${at(1).toFixed(0)} µs`);
  figure({ figure: 'timer: WakeAtTime every 1 ms, lateness p50', value: at(0.5), unit: 'µs' });
  figure({ figure: 'timer: WakeAtTime every 1 ms, lateness p99', value: at(0.99), unit: 'µs' });
}
