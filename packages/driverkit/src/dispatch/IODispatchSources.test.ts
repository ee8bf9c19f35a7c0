import {
  IODispatchQueue,
  IOInterruptDispatchSource,
  IOTimerDispatchSource,
  IOVirtualInterruptLine,
  OSAction,
  OSObject,
  QUEUENAME,
  clock_gettime_nsec_np,
  kIOInterruptTypeLevel,
  kIOReturnNoInterrupt,
  kIOReturnNotPermitted,
  kIOTimerClockMonotonicRaw,
  kIOTimerClockRealTime,
  type IOInterruptLine,
  type IOInterruptProvider,
} from '../index';
import { sleep, waitFor } from '../../test/helpers';

/** Polls until `cond` holds (or 5 s pass), so tests do not depend on how busy the machine is. */
const ms = 1_000_000n;

class TimerDriver extends OSObject {
  fired: bigint[] = [];
  source!: IOTimerDispatchSource;
  periodic = 0;

  TimerOccurred(_action: OSAction, time: bigint): void {
    this.fired.push(time);
    if (this.periodic > 0) {
      this.periodic--;
      this.source.WakeAtTime(kIOTimerClockMonotonicRaw, time + 5n * ms, 0n);
    }
  }
}

function timerDriver(): TimerDriver {
  const d = new TimerDriver();
  d.source = IOTimerDispatchSource.Create(IODispatchQueue.Create('timer', 0, 0));
  d.source.SetHandler(OSAction.Create(d, 'TimerOccurred', 0));
  return d;
}

describe('IOTimerDispatchSource', () => {
  test('fires once at the deadline with the time on the armed clock', async () => {
    const d = timerDriver();
    const deadline = clock_gettime_nsec_np(kIOTimerClockMonotonicRaw) + 20n * ms;
    d.source.WakeAtTime(kIOTimerClockMonotonicRaw, deadline, 0n);
    expect(d.source.isArmed()).toBe(true);
    await waitFor(() => d.fired.length === 1);
    await sleep(30);
    expect(d.fired).toHaveLength(1);
    expect(d.fired[0]! >= deadline).toBe(true);
    expect(d.source.isArmed()).toBe(false);
  });

  test('re-arming replaces the pending deadline', async () => {
    const d = timerDriver();
    const now = clock_gettime_nsec_np(kIOTimerClockMonotonicRaw);
    // The first deadline is far enough that a loaded machine cannot reach it before the re-arm (a
    // deadline already past fires at once, and a fire cannot be taken back).
    d.source.WakeAtTime(kIOTimerClockMonotonicRaw, now + 200n * ms, 5n * ms);
    d.source.WakeAtTime(kIOTimerClockMonotonicRaw, now + 40n * ms, 5n * ms);
    await waitFor(() => d.fired.length === 1);
    expect(d.fired[0]! >= now + 40n * ms).toBe(true);
    // Past the replaced deadline: it never fires.
    await waitFor(() => clock_gettime_nsec_np(kIOTimerClockMonotonicRaw) > now + 260n * ms);
    expect(d.fired).toHaveLength(1);
  });

  test('a periodic timer re-arms from its handler', async () => {
    const d = timerDriver();
    d.periodic = 3;
    d.source.WakeAtTime(kIOTimerClockMonotonicRaw, clock_gettime_nsec_np(kIOTimerClockMonotonicRaw), 0n);
    await waitFor(() => d.fired.length === 4);
    await sleep(20);
    expect(d.fired).toHaveLength(4);
    for (let i = 1; i < 4; i++) expect(d.fired[i]! - d.fired[i - 1]! >= 5n * ms).toBe(true);
  });

  test('the wall clock works too; a past deadline fires at once', async () => {
    const d = timerDriver();
    d.source.WakeAtTime(kIOTimerClockRealTime, clock_gettime_nsec_np(kIOTimerClockRealTime) - 1000n, 0n);
    await waitFor(() => d.fired.length === 1);
    const wall = Number(d.fired[0]! / ms);
    expect(Math.abs(wall - Date.now())).toBeLessThan(1000);
  });

  test('a fire while disabled is delivered on enable', async () => {
    const d = timerDriver();
    d.source.SetEnable(false);
    d.source.WakeAtTime(kIOTimerClockMonotonicRaw, clock_gettime_nsec_np(kIOTimerClockMonotonicRaw), 0n);
    await sleep(10);
    expect(d.fired).toHaveLength(0);
    d.source.SetEnable(true);
    await waitFor(() => d.fired.length === 1);
  });

  test('cancel stops a pending deadline, releases the handler and runs the cancel handler once', async () => {
    const d = timerDriver();
    d.source.WakeAtTime(kIOTimerClockMonotonicRaw, clock_gettime_nsec_np(kIOTimerClockMonotonicRaw) + 10n * ms, 0n);
    let cancelled = 0;
    d.source.Cancel(() => void cancelled++);
    d.source.Cancel(() => void cancelled++);
    await sleep(30);
    expect(d.fired).toHaveLength(0);
    expect(cancelled).toBe(1);
    // The source released its handler; the action (still referenced here) keeps its target retained.
    expect(d.getRetainCount()).toBe(2);
    expect(() => d.source.WakeAtTime(kIOTimerClockMonotonicRaw, 0n, 0n)).toThrow(expect.objectContaining({ code: kIOReturnNotPermitted }));
  });

  test('unknown clocks are refused', () => {
    const d = timerDriver();
    expect(() => d.source.WakeAtTime(0x99n, 0n, 0n)).toThrow('WakeAtTime: unknown clock 0x99');
  });
});

class Device extends OSObject implements IOInterruptProvider {
  readonly lines = [new IOVirtualInterruptLine('edge'), new IOVirtualInterruptLine('level')];
  copyInterruptLine(index: number): IOInterruptLine | null {
    return this.lines[index] ?? null;
  }
}

class InterruptDriver extends OSObject {
  deliveries: Array<{ count: bigint; onQueue: boolean }> = [];

  @QUEUENAME('InterruptQueue')
  InterruptOccurred(_action: OSAction, count: bigint, _time: bigint): void {
    const q = this.CopyDispatchQueue('InterruptQueue')!;
    this.deliveries.push({ count, onQueue: q.OnQueue() });
    q.release();
  }
}

describe('IOInterruptDispatchSource', () => {
  function setup() {
    const device = new Device();
    const driver = new InterruptDriver();
    const queue = IODispatchQueue.Create('InterruptQueue', 0, 0);
    driver.SetDispatchQueue('InterruptQueue', queue);
    const source = IOInterruptDispatchSource.Create(device, 0, queue);
    source.SetHandler(OSAction.Create(driver, 'InterruptOccurred', 0));
    return { device, driver, source, queue };
  }

  test('delivers interrupts on the handler\'s queue, coalescing a burst into one count', async () => {
    const { device, driver, source } = setup();
    device.lines[0]!.raise();
    device.lines[0]!.raise();
    device.lines[0]!.raise(3);
    await waitFor(() => driver.deliveries.length === 1);
    expect(driver.deliveries).toEqual([{ count: 5n, onQueue: true }]);
    device.lines[0]!.raise();
    await waitFor(() => driver.deliveries.length === 2);
    expect(driver.deliveries[1]).toEqual({ count: 1n, onQueue: true });
    const last = source.GetLastInterrupt();
    expect(last.count).toBe(6n);
    expect(last.time > 0n).toBe(true);
  });

  test('interrupts while disabled are counted and delivered on enable', async () => {
    const { device, driver, source } = setup();
    source.SetEnable(false);
    device.lines[0]!.raise(2);
    await sleep(1);
    expect(driver.deliveries).toEqual([]);
    source.SetEnable(true);
    await waitFor(() => driver.deliveries.length === 1);
    expect(driver.deliveries).toEqual([{ count: 2n, onQueue: true }]);
  });

  test('cancel unsubscribes from the line', async () => {
    const { device, source } = setup();
    expect(device.lines[0]!.listenerCount()).toBe(1);
    source.Cancel();
    expect(device.lines[0]!.listenerCount()).toBe(0);
  });

  test('interrupt types and missing interrupts', () => {
    const device = new Device();
    expect(IOInterruptDispatchSource.GetInterruptType(device, 1)).toBe(kIOInterruptTypeLevel);
    const q = IODispatchQueue.Create('q', 0, 0);
    expect(() => IOInterruptDispatchSource.Create(device, 7, q)).toThrow(expect.objectContaining({ code: kIOReturnNoInterrupt, message: expect.stringContaining('Device has no interrupt 7') }));
    expect(() => IOInterruptDispatchSource.Create(new InterruptDriver(), 0, q)).toThrow('InterruptDriver has no interrupts');
  });
});
