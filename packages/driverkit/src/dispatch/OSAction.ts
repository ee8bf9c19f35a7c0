import { IOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnBadArgument } from '../IOReturn/IOReturn';
import { OSObject } from '../os/OSObject';
import { queueForMethod } from './QUEUENAME';

/** A method of `T` an action can call: its first argument is the action itself, as in Apple's callbacks. */
export type OSActionMethod<T> = {
  [K in keyof T]: T[K] extends (action: OSAction, ...args: never[]) => unknown ? K : never;
}[keyof T] & string;

/**
 * Mirrors `OSAction`: a callback bound to a target object and one of its methods, with a block of
 * reference bytes the owner may use (`GetReference`). Every asynchronous completion in the framework
 * is an OSAction: timers, interrupts, data queues, USB transfers, user-client async calls.
 *
 * Invoking an action runs `target[method](action, ...args)` on the queue the method belongs to (its
 * `@QUEUENAME` queue, else the target's Default queue). `Cancel` is terminal: an action cancelled
 * never runs again, and its cancel handler runs once, after any invocation already queued.
 *
 * Drivers normally get actions from generated-style helpers (`CreateActionTimerOccurred(size)` in
 * Apple's samples); here `OSAction.Create(this, 'TimerOccurred', size)` is that helper.
 */
export class OSAction extends OSObject {
  readonly #target: OSObject;
  readonly #method: string;
  readonly #reference: Uint8Array;
  readonly #typeName: string | null;
  #cancelled = false;
  #aborted = false;
  #abortedHandler: (() => void) | null = null;

  private constructor(target: OSObject, method: string, referenceSize: number, typeName: string | null) {
    super();
    this.#target = target.retain();
    this.#method = method;
    this.#reference = new Uint8Array(referenceSize);
    this.#typeName = typeName;
  }

  /**
   * Mirrors `OSAction::Create(target, targetmsgid, msgid, referenceSize, &action)`, with the method
   * named instead of numbered. `target[method]` must exist and be a function.
   */
  static Create<T extends OSObject>(target: T, method: OSActionMethod<T> | string, referenceSize = 0): OSAction {
    return OSAction.CreateWithTypeName(target, method, referenceSize, null);
  }

  /** Mirrors `OSAction::CreateWithTypeName`: as {@link Create}, recording the callback type (e.g. `IOTimerDispatchSource::TimerOccurred`). */
  static CreateWithTypeName<T extends OSObject>(target: T, method: OSActionMethod<T> | string, referenceSize: number, typeName: string | null): OSAction {
    if (!(target instanceof OSObject)) throw new IOReturnError(kIOReturnBadArgument, 'OSAction.Create: the target must be an OSObject');
    if (typeof (target as unknown as Record<string, unknown>)[method] !== 'function') {
      throw new IOReturnError(kIOReturnBadArgument, `OSAction.Create: ${target.getClassName()} has no method ${method}`);
    }
    if (!Number.isInteger(referenceSize) || referenceSize < 0 || referenceSize > 1 << 20) {
      throw new IOReturnError(kIOReturnBadArgument, `OSAction.Create: referenceSize must be 0 to 1 MiB, got ${referenceSize}`);
    }
    return new OSAction(target, method, referenceSize, typeName);
  }

  /** Mirrors `OSAction::GetReference`: `referenceSize` bytes, zeroed at creation, private to this process. */
  GetReference(): Uint8Array {
    return this.#reference;
  }

  /** The callback type given to {@link CreateWithTypeName}, or null. */
  GetTypeName(): string | null {
    return this.#typeName;
  }

  /** The target object (borrowed). */
  GetTarget(): OSObject {
    return this.#target;
  }

  /** The name of the method the action calls. */
  GetMethodName(): string {
    return this.#method;
  }

  /** True once {@link Cancel} was called. */
  isCancelled(): boolean {
    return this.#cancelled;
  }

  /**
   * @internal What dispatch sources call: {@link Invoke} without the promise of its completion, which
   * they never wait for. A promise costs more than its allocation while the queues' AsyncLocalStorage
   * has Node's promise hooks on, and a data queue's wake-up is on the hot path.
   */
  dispatch(...args: unknown[]): void {
    this.#dispatch(args, null);
  }

  /**
   * Runs the action: queues `target[method](this, ...args)` on the method's queue. Does nothing once
   * cancelled. Resolves when the method has run; never rejects (a method's error goes to its queue's
   * `onError`).
   */
  Invoke(...args: unknown[]): Promise<void> {
    if (this.#cancelled) return Promise.resolve();
    return new Promise((resolve) => this.#dispatch(args, resolve));
  }

  /** Queues the method on its queue; `done` (if any) runs once it has run, or was skipped as cancelled. */
  #dispatch(args: unknown[], done: (() => void) | null): void {
    if (this.#cancelled) return done?.();
    const fn = (this.#target as unknown as Record<string, (...a: unknown[]) => unknown>)[this.#method]!;
    // Call the undecorated method on its own queue: the QUEUENAME wrapper would only re-dispatch.
    const raw = ((fn as unknown as { raw?: (...a: unknown[]) => unknown }).raw ?? fn) as (...a: unknown[]) => unknown;
    queueForMethod(this.#target, fn).DispatchAsync(() => {
      if (this.#cancelled) return done?.();
      if (!done) return raw.call(this.#target, this, ...args);
      let r: unknown;
      try {
        r = raw.call(this.#target, this, ...args);
      } catch (e) {
        done();
        throw e;
      }
      if (isThenable(r)) return Promise.resolve(r).finally(done);
      done();
      return r;
    });
  }

  /**
   * Mirrors `OSAction::Cancel(handler)`: terminal. The action will not run again; invocations already
   * queued are skipped; `handler` runs once on the target's Default queue after them.
   */
  Cancel(handler?: () => unknown): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    // A cancelled action lets go of its target once its handler ran, which breaks the cycle of a
    // driver holding its actions while they hold it (its free() could otherwise never run).
    const finish = () => {
      try {
        return handler?.();
      } finally {
        this.#dropTarget();
      }
    };
    const queue = queueForMethod(this.#target, undefined);
    // The target's queue may be cancelled already (its service terminated): the handler still runs once.
    if (queue.isCancelled()) void Promise.resolve().then(finish);
    else queue.DispatchAsync(finish);
  }

  #targetDropped = false;

  #dropTarget(): void {
    if (this.#targetDropped) return;
    this.#targetDropped = true;
    this.#target.release();
  }

  /** Mirrors `OSAction::SetAbortedHandler`: runs once if the process holding the other end of the action goes away. */
  SetAbortedHandler(handler: () => void): void {
    this.#abortedHandler = handler;
  }

  /** True once {@link Aborted} ran: the process at the other end of the action is gone. */
  isAborted(): boolean {
    return this.#aborted;
  }

  /** Mirrors `OSAction::Aborted`: called by the IPC layer when the peer holding the action died. */
  Aborted(): void {
    if (this.#aborted) return;
    this.#aborted = true;
    const h = this.#abortedHandler;
    this.#abortedHandler = null;
    h?.();
  }

  override free(): void {
    this.#cancelled = true;
    this.#dropTarget();
    super.free();
  }
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && typeof v === 'object' && typeof (v as PromiseLike<unknown>).then === 'function';
}
