import { IOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnBadArgument, kIOReturnNotPermitted } from '../IOReturn/IOReturn';
import { clock_gettime_nsec_np, isMonotonicClock, kIOTimerClockRealTime } from './IOClock';
import type { IODispatchQueue } from './IODispatchQueue';
import { IODispatchSource } from './IODispatchSource';
import type { OSAction } from './OSAction';

/** Below this leeway the timer spins the last stretch on setImmediate, as setTimeout is only ms-accurate. */
const SPIN_LEEWAY_NS = 2_000_000n;
const SPIN_WINDOW_MS = 1.5;

/**
 * Mirrors `IOTimerDispatchSource`: a one-shot timer. `WakeAtTime` arms it for an absolute deadline on
 * one of Apple's clocks; arming again replaces the pending deadline; a periodic timer re-arms from its
 * handler. When it fires, the handler action (`TimerOccurred(action, time)`) runs with the time it
 * fired, in ns on the clock it was armed with.
 *
 * Linux notes: deadlines are kept with Node's timers, which are accurate to about a millisecond; with
 * a leeway under 2 ms the last 1.5 ms are spent polling the clock between event-loop turns, trading
 * CPU for accuracy as a tight leeway asks.
 */
export class IOTimerDispatchSource extends IODispatchSource {
  #handler: OSAction | null = null;
  #timer: NodeJS.Timeout | NodeJS.Immediate | null = null;
  #generation = 0;
  #pendingFire: bigint | null = null;
  #clock = 0n;

  private constructor(queue: IODispatchQueue) {
    super(queue);
  }

  /** Mirrors `IOTimerDispatchSource::Create(queue, &source)`. */
  static Create(queue: IODispatchQueue): IOTimerDispatchSource {
    return new IOTimerDispatchSource(queue);
  }

  /** Mirrors `IOTimerDispatchSource::SetHandler`: the action is retained until the next SetHandler or Cancel. */
  SetHandler(action: OSAction): void {
    if (this.isCancelled()) throw new IOReturnError(kIOReturnNotPermitted, 'IOTimerDispatchSource is cancelled');
    this.#handler = IODispatchSource.swapAction(this.#handler, action);
  }

  /**
   * Mirrors `IOTimerDispatchSource::WakeAtTime(clock, deadline, leeway)`: fire once at `deadline` (ns,
   * or Mach ticks, on `clock`), within `leeway`. A deadline already past fires at once.
   */
  WakeAtTime(clock: bigint | number, deadline: bigint | number, leeway: bigint | number = 0n): void {
    if (this.isCancelled()) throw new IOReturnError(kIOReturnNotPermitted, 'IOTimerDispatchSource is cancelled');
    const c = BigInt(clock);
    if (c !== kIOTimerClockRealTime && !isMonotonicClock(c)) {
      throw new IOReturnError(kIOReturnBadArgument, `WakeAtTime: unknown clock 0x${c.toString(16)}`);
    }
    this.#clock = c;
    this.#disarm();
    const d = BigInt(deadline);
    const l = BigInt(leeway);
    const generation = ++this.#generation;
    const arm = (): void => {
      if (generation !== this.#generation) return;
      const remainingNs = d - clock_gettime_nsec_np(c);
      if (remainingNs <= 0n) {
        this.#timer = null;
        this.#fire(generation);
        return;
      }
      const remainingMs = Number(remainingNs) / 1e6;
      const spin = l < SPIN_LEEWAY_NS;
      if (spin && remainingMs <= SPIN_WINDOW_MS) {
        this.#timer = setImmediate(arm);
      } else {
        this.#timer = setTimeout(arm, Math.max(0, spin ? remainingMs - SPIN_WINDOW_MS : remainingMs));
      }
    };
    arm();
  }

  /** True while a deadline is armed. */
  isArmed(): boolean {
    return this.#timer !== null;
  }

  #fire(generation: number): void {
    const now = clock_gettime_nsec_np(this.#clock);
    if (!this.isEnabled()) {
      this.#pendingFire = now;
      return;
    }
    this.#deliver(generation, now);
  }

  #deliver(generation: number, time: bigint): void {
    const handler = this.#handler;
    if (!handler || this.isCancelled() || generation !== this.#generation) return;
    handler.dispatch(time);
  }

  #disarm(): void {
    if (this.#timer) {
      clearTimeout(this.#timer as NodeJS.Timeout);
      clearImmediate(this.#timer as NodeJS.Immediate);
    }
    this.#timer = null;
    this.#pendingFire = null;
  }

  protected override enableChanged(enable: boolean): void {
    if (enable && this.#pendingFire !== null) {
      const time = this.#pendingFire;
      this.#pendingFire = null;
      this.#deliver(this.#generation, time);
    }
  }

  protected cancelled(): void {
    this.#generation++;
    this.#disarm();
    this.#handler = IODispatchSource.swapAction(this.#handler, null);
  }
}
