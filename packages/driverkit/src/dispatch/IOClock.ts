/**
 * The clocks DriverKit timers take (IOTimerDispatchSource.iig), read as Linux reads them. All values
 * are nanoseconds as bigint; Mach ticks are nanoseconds here (`mach_timebase_info` is 1/1).
 */

/** Mirrors `kIOTimerClockMachAbsoluteTime`: uptime excluding sleep, in Mach ticks. */
export const kIOTimerClockMachAbsoluteTime = 0xc8n;
/** Mirrors `kIOTimerClockMachContinuousTime`: uptime including sleep, in Mach ticks. */
export const kIOTimerClockMachContinuousTime = 0xc4n;
/** Mirrors `kIOTimerClockUptimeRaw`: `CLOCK_UPTIME_RAW` in ns. */
export const kIOTimerClockUptimeRaw = 0x88n;
/** Mirrors `kIOTimerClockMonotonicRaw`: `CLOCK_MONOTONIC_RAW` in ns. */
export const kIOTimerClockMonotonicRaw = 0x84n;
/** Mirrors `kIOTimerClockRealTime` (= `kIOTimerClockWallTime`): the wall clock in ns since 1970. */
export const kIOTimerClockRealTime = 0x80n;
export const kIOTimerClockWallTime = 0x80n;

// Node exposes one monotonic clock (CLOCK_MONOTONIC via hrtime). On Linux, CLOCK_MONOTONIC excludes
// suspend like Apple's uptime clocks; the "continuous" clock would need CLOCK_BOOTTIME, which differs
// only across a suspend, so it is read from the same source.
const wallAtStart = BigInt(Date.now()) * 1_000_000n;
const monoAtStart = process.hrtime.bigint();

/** Mirrors `mach_absolute_time()`: monotonic ns. */
export function mach_absolute_time(): bigint {
  return process.hrtime.bigint();
}

/** Mirrors `mach_continuous_time()`. */
export function mach_continuous_time(): bigint {
  return process.hrtime.bigint();
}

/** Mirrors `clock_gettime_nsec_np(clock)` for the timer clock ids above. */
export function clock_gettime_nsec_np(clock: bigint): bigint {
  if (clock === kIOTimerClockRealTime) return wallAtStart + (process.hrtime.bigint() - monoAtStart);
  if (isMonotonicClock(clock)) return process.hrtime.bigint();
  throw new RangeError(`unknown IOTimer clock 0x${clock.toString(16)}`);
}

/** True for the clock ids that count time since boot (everything but the wall clock). @internal */
export function isMonotonicClock(clock: bigint): boolean {
  return (
    clock === kIOTimerClockMachAbsoluteTime ||
    clock === kIOTimerClockMachContinuousTime ||
    clock === kIOTimerClockUptimeRaw ||
    clock === kIOTimerClockMonotonicRaw
  );
}
