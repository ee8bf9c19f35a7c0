import { IODispatchQueue, IOReturnError, OSAction, OSObject, QUEUENAME, kIOReturnAborted, kIOReturnNotPermitted } from '../index';

const tick = () => new Promise((r) => setImmediate(r));

describe('IODispatchQueue', () => {
  test('runs blocks one at a time in dispatch order, asynchronously', async () => {
    const q = IODispatchQueue.Create('test', 0, 0);
    const seen: number[] = [];
    for (let i = 0; i < 100; i++) q.DispatchAsync(() => void seen.push(i));
    expect(seen).toEqual([]);
    await tick();
    expect(seen).toEqual([...Array(100).keys()]);
  });

  test('an async block holds the queue until it settles', async () => {
    const q = IODispatchQueue.Create('test', 0, 0);
    const log: string[] = [];
    q.DispatchAsync(async () => {
      log.push('a start');
      await new Promise((r) => setTimeout(r, 20));
      log.push('a end');
    });
    q.DispatchAsync(() => void log.push('b'));
    // A block queued last runs after both: no timing to race on a loaded machine.
    await q.DispatchSync(() => {});
    expect(log).toEqual(['a start', 'a end', 'b']);
  });

  test('DispatchSync resolves with the result after the block ran; rejects with its error', async () => {
    const q = IODispatchQueue.Create('test', 0, 0);
    const order: string[] = [];
    q.DispatchAsync(() => void order.push('first'));
    await expect(q.DispatchSync(() => (order.push('sync'), 42))).resolves.toBe(42);
    expect(order).toEqual(['first', 'sync']);
    await expect(q.DispatchSync(async () => 'later')).resolves.toBe('later');
    await expect(q.DispatchSync(() => { throw new Error('boom'); })).rejects.toThrow('boom');
  });

  test('DispatchSync on the running queue is an error, also after an await', async () => {
    const q = IODispatchQueue.Create('self', 0, 0);
    const errors: unknown[] = [];
    await q.DispatchSync(async () => {
      expect(q.OnQueue()).toBe(true);
      try {
        await q.DispatchSync(() => 1);
      } catch (e) {
        errors.push(e);
      }
      await tick();
      expect(q.OnQueue()).toBe(true);
      try {
        await q.DispatchSync(() => 1);
      } catch (e) {
        errors.push(e);
      }
    });
    expect(errors).toHaveLength(2);
    for (const e of errors) {
      expect(e).toBeInstanceOf(IOReturnError);
      expect((e as IOReturnError).code).toBe(kIOReturnNotPermitted);
      expect((e as IOReturnError).message).toContain('DispatchSync on queue "self" from a block of that queue would deadlock');
    }
    expect(q.OnQueue()).toBe(false);
  });

  test('a throwing block is reported and the queue goes on', async () => {
    const q = IODispatchQueue.Create('test', 0, 0);
    const reported: unknown[] = [];
    q.onError = (e) => reported.push(e);
    const after: string[] = [];
    q.DispatchAsync(() => { throw new Error('one'); });
    q.DispatchAsync(async () => { throw new Error('two'); });
    q.DispatchAsync(() => void after.push('ran'));
    await q.DispatchSync(() => undefined);
    expect(reported.map((e) => (e as Error).message)).toEqual(['one', 'two']);
    expect(after).toEqual(['ran']);
  });

  test('Cancel runs what was queued, drops the rest, then the handler once', async () => {
    const q = IODispatchQueue.Create('test', 0, 0);
    const log: string[] = [];
    q.DispatchAsync(() => void log.push('queued before'));
    q.Cancel(() => void log.push('cancel handler'));
    q.Cancel(() => void log.push('second cancel'));
    q.DispatchAsync(() => void log.push('after cancel'));
    await expect(q.DispatchSync(() => 1)).rejects.toMatchObject({ code: kIOReturnAborted });
    await tick();
    expect(log).toEqual(['queued before', 'cancel handler']);
  });

  test('names are checked', () => {
    expect(() => IODispatchQueue.Create('', 0, 0)).toThrow(/1 to 255 bytes/);
    expect(() => IODispatchQueue.Create('x'.repeat(256), 0, 0)).toThrow(/1 to 255 bytes/);
  });

  test('queues interleave only at await points', async () => {
    const a = IODispatchQueue.Create('a', 0, 0);
    const b = IODispatchQueue.Create('b', 0, 0);
    const log: string[] = [];
    a.DispatchAsync(() => void log.push('a1'));
    b.DispatchAsync(() => void log.push('b1'));
    a.DispatchAsync(() => void log.push('a2'));
    await Promise.all([a.DispatchSync(() => 0), b.DispatchSync(() => 0)]);
    expect(log.filter((x) => x.startsWith('a'))).toEqual(['a1', 'a2']);
    expect(log).toContain('b1');
  });
});

class Driver extends OSObject {
  log: string[] = [];

  @QUEUENAME('InterruptQueue')
  InterruptOccurred(action: OSAction, count: number): string {
    const q = this.CopyDispatchQueue('InterruptQueue')!;
    this.log.push(`interrupt ${count} on ${q.OnQueue() ? 'InterruptQueue' : 'another queue'}`);
    q.release();
    return 'handled';
  }

  TimerOccurred(action: OSAction, time: bigint): void {
    const q = this.CopyDispatchQueue('Default')!;
    this.log.push(`timer ${time} on ${q.OnQueue() ? 'Default' : 'another queue'}`);
    q.release();
  }
}

describe('QUEUENAME and OSAction', () => {
  test('a QUEUENAME method called from elsewhere is dispatched to its queue', async () => {
    const d = new Driver();
    d.SetDispatchQueue('InterruptQueue', IODispatchQueue.Create('InterruptQueue', 0, 0));
    const r = d.InterruptOccurred(OSAction.Create(d, 'InterruptOccurred', 0), 3);
    expect(r).toBeInstanceOf(Promise);
    await expect(r).resolves.toBe('handled');
    expect(d.log).toEqual(['interrupt 3 on InterruptQueue']);
  });

  test('an action runs its method on the method\'s queue, with the action first', async () => {
    const d = new Driver();
    d.SetDispatchQueue('InterruptQueue', IODispatchQueue.Create('InterruptQueue', 0, 0));
    const irq = OSAction.Create(d, 'InterruptOccurred', 16);
    const timer = OSAction.CreateWithTypeName(d, 'TimerOccurred', 0, 'IOTimerDispatchSource::TimerOccurred');
    await irq.Invoke(1);
    await timer.Invoke(5n);
    expect(d.log).toEqual(['interrupt 1 on InterruptQueue', 'timer 5 on Default']);
    expect(irq.GetReference()).toEqual(new Uint8Array(16));
    expect(timer.GetTypeName()).toBe('IOTimerDispatchSource::TimerOccurred');
  });

  test('a cancelled action never runs, even if already queued; its handler runs once', async () => {
    const d = new Driver();
    const a = OSAction.Create(d, 'TimerOccurred', 0);
    const queued = a.Invoke(1n);
    let handled = 0;
    a.Cancel(() => void handled++);
    a.Cancel(() => void handled++);
    await queued;
    await a.Invoke(2n);
    await d.CopyDispatchQueue('Default')!.DispatchSync(() => 0);
    expect(d.log).toEqual([]);
    expect(handled).toBe(1);
  });

  test('an action retains its target until freed', () => {
    const d = new Driver();
    const a = OSAction.Create(d, 'TimerOccurred', 0);
    expect(d.getRetainCount()).toBe(2);
    a.release();
    expect(d.getRetainCount()).toBe(1);
  });

  test('Create refuses unknown methods and bad sizes', () => {
    const d = new Driver();
    expect(() => OSAction.Create(d, 'NoSuchMethod' as never, 0)).toThrow('Driver has no method NoSuchMethod');
    expect(() => OSAction.Create(d, 'TimerOccurred', -1)).toThrow(/referenceSize/);
  });

  test('the aborted handler runs once', () => {
    const a = OSAction.Create(new Driver(), 'TimerOccurred', 0);
    let n = 0;
    a.SetAbortedHandler(() => void n++);
    a.Aborted();
    a.Aborted();
    expect(n).toBe(1);
  });
});

test('IOSleep waits at least as long as asked, and refuses what is not a duration', async () => {
  const { IOSleep } = await import('./IOSleep');
  const start = process.hrtime.bigint();
  await IOSleep(20);
  expect(Number(process.hrtime.bigint() - start) / 1e6).toBeGreaterThanOrEqual(19);
  expect(() => IOSleep(-1)).toThrow(/IOSleep: -1 is not a number of milliseconds/);
});

describe('IODispatchQueue.Sleep and Wakeup', () => {
  test('a sleeping block gives the queue to others and takes it back before going on', async () => {
    const { IODispatchQueue: Q, kIOReturnSuccess: ok } = await import('../index');
    const q = Q.Create('sleepy', 0, 0);
    const order: string[] = [];
    const event = {};
    const done = new Promise<number>((resolve) =>
      q.DispatchAsync(async () => {
        order.push('A sleeps');
        const status = await q.Sleep(event);
        order.push(`A woke: ${status === ok}`);
        await new Promise((r) => setTimeout(r, 5));
        order.push('A ends');
        resolve(status);
      }),
    );
    q.DispatchAsync(() => {
      order.push('B runs while A sleeps, and wakes it');
      q.Wakeup(event);
    });
    q.DispatchAsync(() => order.push('C'));
    await done;
    await q.DispatchSync(() => order.push('D after all'));
    // C was dispatched before A woke, so it runs first; A's rest then holds the queue until it ends.
    expect(order).toEqual(['A sleeps', 'B runs while A sleeps, and wakes it', 'C', 'A woke: true', 'A ends', 'D after all']);
  });

  test('timeouts, WakeupAll, cancel, and calls from off the queue', async () => {
    const { IODispatchQueue: Q, kIODispatchQueueWakeupAll, kIOReturnAborted, kIOReturnNotPermitted, kIOReturnSuccess, kIOReturnTimeout, mach_absolute_time } = await import('../index');
    const q = Q.Create('sleepy2', 0, 0);
    expect(await q.DispatchSync(() => q.SleepWithTimeout('e', 0, 5_000_000n))).toBe(kIOReturnTimeout);
    expect(await q.DispatchSync(() => q.SleepWithDeadline('e', 0, mach_absolute_time() + 5_000_000n))).toBe(kIOReturnTimeout);
    const both = [q.DispatchSync(() => q.Sleep('all')), q.DispatchSync(() => q.Sleep('all'))];
    await q.DispatchSync(() => q.WakeupWithOptions('all', kIODispatchQueueWakeupAll));
    expect(await Promise.all(both)).toEqual([kIOReturnSuccess, kIOReturnSuccess]);
    await expect(q.Sleep('x')).rejects.toMatchObject({ code: kIOReturnNotPermitted, message: expect.stringContaining('call it from a block of queue "sleepy2"') });
    const aborted = q.DispatchSync(() => q.Sleep('never'));
    await new Promise((r) => setTimeout(r, 5));
    q.Cancel();
    expect(await aborted).toBe(kIOReturnAborted);
  });
});

test('a block that sleeps without awaiting does not keep the queue when it wakes', async () => {
  const { IODispatchQueue: Q, kIOReturnSuccess } = await import('../index');
  const q = Q.Create('sleepy3', 0, 0);
  let slept: Promise<number> | null = null;
  q.DispatchAsync(() => {
    slept = q.Sleep('e');
  });
  await q.DispatchSync(() => q.Wakeup('e'));
  expect(await slept).toBe(kIOReturnSuccess);
  expect(await q.DispatchSync(() => 'the queue is free')).toBe('the queue is free');
});
