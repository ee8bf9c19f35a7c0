import { AsyncLocalStorage } from 'node:async_hooks';
import { IOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnAborted, kIOReturnBadArgument, kIOReturnNotPermitted, kIOReturnSuccess, kIOReturnTimeout } from '../IOReturn/IOReturn';
import { OSObject, setDefaultQueueFactory } from '../os/OSObject';

/** Mirrors `IODispatchBlock`. A block may return a promise: see {@link IODispatchQueue}. */
export type IODispatchBlock = () => unknown;

/** Mirrors `IODispatchQueueName`: Apple limits names to 255 bytes. */
export type IODispatchQueueName = string;

/** Mirrors the `IODispatchQueue::Create` options. */
export const kIODispatchQueueReentrant = 1n;
export const kIODispatchQueueMethodsNotSynchronized = 2n;
/** Mirrors `kIODispatchQueueWakeupAll`: `WakeupWithOptions` wakes every sleeper on the event, not one. */
export const kIODispatchQueueWakeupAll = 1n;
/** Mirrors `kIODispatchQueueSleepReuseEvent`. Every event may be slept on again here, so it changes nothing. */
export const kIODispatchQueueSleepReuseEvent = 0x100n;

/** The queue whose block is running, carried across `await` so {@link IODispatchQueue.OnQueue} holds in async blocks. */
const current = new AsyncLocalStorage<IODispatchQueue>();

interface Entry {
  block: IODispatchBlock;
  resolve?: (v: unknown) => void;
  reject?: (e: unknown) => void;
}

/**
 * An async block holding the queue. `released` once it slept: its end then drains nothing (the entry
 * that took the queue back for it does). `whenSettled` is made only for a block that sleeps.
 */
class Holding {
  released = false;
  #done = false;
  #settled: Promise<void> | null = null;
  #settle: (() => void) | null = null;

  settle(): void {
    this.#done = true;
    this.#settle?.();
  }

  whenSettled(): Promise<void> {
    if (this.#done) return Promise.resolve();
    return (this.#settled ??= new Promise<void>((r) => (this.#settle = r)));
  }
}

interface Sleeper {
  wake: (status: number) => void;
}

/**
 * Mirrors `IODispatchQueue`: a serial queue. Blocks run one at a time, in the order they were
 * dispatched, each on its own turn of the event loop's microtask queue.
 *
 * A block that returns a promise (an `async` block, or an `async` driver method) holds the queue
 * until the promise settles, so the next block starts only after it has finished, as an Apple method
 * runs to completion on its queue before the next one is dispatched. Errors thrown by a block are
 * reported through {@link IODispatchQueue.onError} (by default to stderr) and do not stop the queue.
 *
 * Linux notes: Node runs JavaScript on one thread, so "a queue" is an order, not a thread; queues
 * never run blocks in parallel with each other, only interleave at `await` points. Knowing which queue
 * is current across `await` uses an AsyncLocalStorage, which makes every promise in the process
 * slightly dearer while it is alive (Node 20's promise hooks).
 */
export class IODispatchQueue extends OSObject {
  readonly #name: string;
  readonly #entries: Entry[] = [];
  #head = 0;
  #running = false;
  #scheduled = false;
  #cancelled = false;
  #cancelHandler: IODispatchBlock | null = null;
  #holding: Holding | null = null;
  /** True while a block's synchronous part runs; a Sleep there marks `#sleepingBlock`. */
  #inBlock = false;
  #sleepingBlock: Holding | null = null;
  readonly #sleepers = new Map<unknown, Sleeper[]>();
  /** Called with any error a block throws or rejects with. */
  onError: (error: unknown, queue: IODispatchQueue) => void = (e, q) => {
    process.stderr.write(`IODispatchQueue ${q.GetName()}: a block threw: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  };

  private constructor(name: string) {
    super();
    this.#name = name;
  }

  /** Mirrors `IODispatchQueue::Create(name, options, priority, &queue)`; options and priority are 0 in Apple's samples. */
  static Create(name: IODispatchQueueName, options: bigint | number = 0, priority: bigint | number = 0): IODispatchQueue {
    if (typeof name !== 'string' || name.length === 0 || Buffer.byteLength(name) > 255) {
      throw new IOReturnError(kIOReturnBadArgument, `IODispatchQueue.Create: the name must be 1 to 255 bytes, got ${JSON.stringify(name)}`);
    }
    void options;
    void priority;
    return new IODispatchQueue(name);
  }

  /** The queue running the caller's block (across `await`), or null outside any queue. */
  static Current(): IODispatchQueue | null {
    return current.getStore() ?? null;
  }

  /** Mirrors `IODispatchQueue::GetName`. */
  GetName(): string {
    return this.#name;
  }

  /** Mirrors `IODispatchQueue::OnQueue`: true inside a block of this queue, including after its `await`s. */
  OnQueue(): boolean {
    return current.getStore() === this;
  }

  /** Mirrors `IODispatchQueue::DispatchAsync`: runs `block` after every block dispatched before it. */
  DispatchAsync(block: IODispatchBlock): void {
    if (typeof block !== 'function') throw new TypeError('DispatchAsync expects a function');
    if (this.#cancelled) return;
    this.#entries.push({ block });
    this.#schedule();
  }

  /**
   * Mirrors `IODispatchQueue::DispatchSync`: resolves with the block's result after it ran (and its
   * promise, if it returned one, settled); rejects with what it threw. Called from a block of this very
   * queue it would wait forever, so it throws `kIOReturnNotPermitted` instead.
   */
  DispatchSync<T>(block: () => T | Promise<T>): Promise<Awaited<T>> {
    if (typeof block !== 'function') throw new TypeError('DispatchSync expects a function');
    if (this.OnQueue()) {
      throw new IOReturnError(kIOReturnNotPermitted, `DispatchSync on queue "${this.#name}" from a block of that queue would deadlock`);
    }
    if (this.#cancelled) return Promise.reject(new IOReturnError(kIOReturnAborted, `queue "${this.#name}" is cancelled`));
    return new Promise((resolve, reject) => {
      this.#entries.push({ block, resolve: resolve as (v: unknown) => void, reject });
      this.#schedule();
    });
  }

  /**
   * Mirrors `IODispatchQueue::Cancel(handler)`: blocks already dispatched still run; later dispatches
   * are dropped (a `DispatchSync` rejects with `kIOReturnAborted`); then `handler` runs once. Cancel is
   * terminal.
   */
  Cancel(handler?: IODispatchBlock): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    this.#cancelHandler = handler ?? null;
    for (const list of this.#sleepers.values()) for (const s of list) s.wake(kIOReturnAborted);
    this.#sleepers.clear();
    this.#schedule();
  }

  /** True once {@link Cancel} was called. */
  isCancelled(): boolean {
    return this.#cancelled;
  }

  /** Blocks dispatched and not yet run. */
  pendingCount(): number {
    return this.#entries.length - this.#head;
  }

  #schedule(): void {
    if (this.#running || this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      this.#drain();
    });
  }

  #drain(): void {
    if (this.#running) return;
    this.#running = true;
    current.run(this, () => this.#drainOnQueue());
  }

  // Runs blocks synchronously until one returns a promise; then resumes when it settles.
  #drainOnQueue(): void {
    const entries = this.#entries;
    while (this.#head < entries.length) {
      const entry = entries[this.#head]!;
      entries[this.#head++] = undefined as unknown as Entry;
      if (this.#head > 1024 && this.#head * 2 > entries.length) {
        entries.splice(0, this.#head);
        this.#head = 0;
      }
      let result: unknown;
      this.#inBlock = true;
      try {
        result = entry.block();
      } catch (e) {
        this.#fail(entry, e);
        continue;
      } finally {
        this.#inBlock = false;
      }
      const slept = this.#sleepingBlock;
      this.#sleepingBlock = null;
      if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') {
        const holding = slept ?? new Holding();
        (result as PromiseLike<unknown>).then(
          (v) => this.#resume(entry, holding, v, undefined, false),
          (e) => this.#resume(entry, holding, undefined, e, true),
        );
        // A block that went to sleep before its first await has given the queue away already.
        if (holding.released) continue;
        this.#holding = holding;
        return;
      }
      // A block that did not wait for its Sleep is over already: taking the queue back holds it for nothing.
      slept?.settle();
      entry.resolve?.(result);
    }
    this.#running = false;
    this.#finishCancel();
  }

  #resume(entry: Entry, holding: Holding, value: unknown, error: unknown, failed: boolean): void {
    holding.settle();
    if (this.#holding === holding) this.#holding = null;
    if (failed) this.#fail(entry, error);
    else entry.resolve?.(value);
    // A block that slept gave the queue away; the entry that took it back for it drains on.
    if (!holding.released) current.run(this, () => this.#drainOnQueue());
  }

  /**
   * Mirrors `IODispatchQueue::Sleep(event, options)`: from a block of this queue, gives the queue to
   * other blocks until {@link Wakeup} on `event` (any value, compared by identity), then takes it back
   * before resolving. Resolves with kIOReturnSuccess, or kIOReturnAborted when the queue is cancelled.
   * `await` it where the original sleeps. Called outside the queue it throws kIOReturnNotPermitted.
   */
  Sleep(event: unknown, options: bigint | number = 0n): Promise<number> {
    return this.#sleep(event, options, null, 'Sleep');
  }

  /** Mirrors `SleepWithDeadline(event, options, deadline)`: kIOReturnTimeout once `mach_absolute_time()` passes `deadline` (ns). */
  SleepWithDeadline(event: unknown, options: bigint | number, deadline: bigint): Promise<number> {
    return this.#sleep(event, options, Number(deadline - process.hrtime.bigint()) / 1e6, 'SleepWithDeadline');
  }

  /** Mirrors `SleepWithTimeout(event, options, timeout)`: kIOReturnTimeout after `timeout` ns without a wakeup. */
  SleepWithTimeout(event: unknown, options: bigint | number, timeout: bigint): Promise<number> {
    return this.#sleep(event, options, Number(timeout) / 1e6, 'SleepWithTimeout');
  }

  /** Mirrors `IODispatchQueue::Wakeup(event)`: wakes the longest sleeper on `event`, if any. */
  Wakeup(event: unknown): number {
    return this.WakeupWithOptions(event, 0n);
  }

  /** Mirrors `WakeupWithOptions(event, options)`: with kIODispatchQueueWakeupAll, every sleeper on `event`. */
  WakeupWithOptions(event: unknown, options: bigint | number): number {
    const list = this.#sleepers.get(event);
    if (!list?.length) return kIOReturnSuccess;
    const woken = BigInt(options) & kIODispatchQueueWakeupAll ? list.splice(0) : list.splice(0, 1);
    if (list.length === 0) this.#sleepers.delete(event);
    for (const s of woken) s.wake(kIOReturnSuccess);
    return kIOReturnSuccess;
  }

  async #sleep(event: unknown, _options: bigint | number, timeoutMs: number | null, what: string): Promise<number> {
    if (!this.OnQueue()) throw new IOReturnError(kIOReturnNotPermitted, `${what}: call it from a block of queue "${this.#name}"`);
    if (this.#cancelled) return kIOReturnAborted;
    let holding: Holding | null;
    if (this.#inBlock) {
      // Still in the block's synchronous part: the drain loop hands the queue on when the block returns.
      holding = this.#sleepingBlock ??= new Holding();
      holding.released = true;
    } else {
      holding = this.#holding;
      if (holding && !holding.released) {
        holding.released = true;
        this.#holding = null;
        this.#running = false;
        this.#schedule();
      }
    }
    const status = await new Promise<number>((resolve) => {
      let timer: NodeJS.Timeout | null = null;
      const sleeper: Sleeper = {
        wake: (s) => {
          if (timer) clearTimeout(timer);
          resolve(s);
        },
      };
      const list = this.#sleepers.get(event) ?? [];
      list.push(sleeper);
      this.#sleepers.set(event, list);
      if (timeoutMs !== null) {
        timer = setTimeout(() => {
          const l = this.#sleepers.get(event);
          const i = l?.indexOf(sleeper) ?? -1;
          if (i >= 0) l!.splice(i, 1);
          if (l?.length === 0) this.#sleepers.delete(event);
          resolve(kIOReturnTimeout);
        }, Math.max(0, timeoutMs));
      }
    });
    // Take the queue back: an entry that lets the sleeper go on and holds the queue until its block ends.
    if (holding) await new Promise<void>((resume) => this.#push({ block: () => (resume(), holding.whenSettled()) }));
    return status;
  }

  #push(entry: Entry): void {
    this.#entries.push(entry);
    this.#schedule();
  }

  #fail(entry: Entry, e: unknown): void {
    if (entry.reject) entry.reject(e);
    else this.onError(e, this);
  }

  #finishCancel(): void {
    if (!this.#cancelled || this.#head < this.#entries.length) return;
    const handler = this.#cancelHandler;
    this.#cancelHandler = null;
    if (handler) {
      this.#running = true;
      current.run(this, () => {
        try {
          const r = handler();
          if (r && typeof (r as PromiseLike<unknown>).then === 'function') (r as Promise<unknown>).catch((e) => this.onError(e, this));
        } catch (e) {
          this.onError(e, this);
        } finally {
          this.#running = false;
        }
      });
    }
  }
}

setDefaultQueueFactory((owner) => IODispatchQueue.Create(`${owner.getClassName()}.Default`, 0, 0));

/** The queue `object`'s methods bound to `name` run on (its Default queue when unbound). @internal */
export function queueOf(object: OSObject, name = 'Default'): IODispatchQueue {
  const q = object.CopyDispatchQueue(name) ?? object.CopyDispatchQueue('Default')!;
  q.release();
  return q;
}
