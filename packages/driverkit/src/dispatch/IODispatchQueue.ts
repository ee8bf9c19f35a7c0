import { AsyncLocalStorage } from 'node:async_hooks';
import { IOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnAborted, kIOReturnBadArgument, kIOReturnNotPermitted } from '../IOReturn/IOReturn';
import { OSObject, setDefaultQueueFactory } from '../os/OSObject';

/** Mirrors `IODispatchBlock`. A block may return a promise: see {@link IODispatchQueue}. */
export type IODispatchBlock = () => unknown;

/** Mirrors `IODispatchQueueName`: Apple limits names to 255 bytes. */
export type IODispatchQueueName = string;

/** Mirrors the `IODispatchQueue::Create` options. */
export const kIODispatchQueueReentrant = 1n;
export const kIODispatchQueueMethodsNotSynchronized = 2n;

/** The queue whose block is running, carried across `await` so {@link IODispatchQueue.OnQueue} holds in async blocks. */
const current = new AsyncLocalStorage<IODispatchQueue>();

interface Entry {
  block: IODispatchBlock;
  resolve?: (v: unknown) => void;
  reject?: (e: unknown) => void;
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
      try {
        result = entry.block();
      } catch (e) {
        this.#fail(entry, e);
        continue;
      }
      if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') {
        (result as PromiseLike<unknown>).then(
          (v) => this.#resume(entry, v, undefined, false),
          (e) => this.#resume(entry, undefined, e, true),
        );
        return;
      }
      entry.resolve?.(result);
    }
    this.#running = false;
    this.#finishCancel();
  }

  #resume(entry: Entry, value: unknown, error: unknown, failed: boolean): void {
    if (failed) this.#fail(entry, error);
    else entry.resolve?.(value);
    current.run(this, () => this.#drainOnQueue());
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
