import { IOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnBadArgument, kIOReturnNotPermitted } from '../IOReturn/IOReturn';
import { OSObject } from '../os/OSObject';
import type { IODispatchQueue } from './IODispatchQueue';
import type { OSAction } from './OSAction';

/**
 * Mirrors `IODispatchSource`: an event source delivering to a queue through an OSAction. Sources
 * start enabled. `Cancel` is terminal: a cancelled source delivers nothing more and can only be
 * released; its handler runs once on the source's queue after any delivery already queued.
 */
export abstract class IODispatchSource extends OSObject {
  protected readonly queue: IODispatchQueue;
  #enabled = true;
  #cancelled = false;

  protected constructor(queue: IODispatchQueue) {
    super();
    if (!queue || typeof queue.DispatchAsync !== 'function') {
      throw new IOReturnError(kIOReturnBadArgument, `${new.target.name}.Create needs an IODispatchQueue`);
    }
    this.queue = queue.retain();
  }

  /** True while the source may deliver. */
  isEnabled(): boolean {
    return this.#enabled && !this.#cancelled;
  }

  /** True once cancelled. */
  isCancelled(): boolean {
    return this.#cancelled;
  }

  /** Mirrors `IODispatchSource::SetEnable`. */
  SetEnable(enable: boolean): void {
    this.SetEnableWithCompletion(enable);
  }

  /**
   * Mirrors `IODispatchSource::SetEnableWithCompletion`: events that arrive while disabled are kept
   * (coalesced) and delivered on re-enable. `handler` runs on the source's queue once the change took.
   */
  SetEnableWithCompletion(enable: boolean, handler?: () => unknown): void {
    if (this.#cancelled) throw new IOReturnError(kIOReturnNotPermitted, `${this.getClassName()} is cancelled`);
    const was = this.#enabled;
    this.#enabled = enable;
    this.enableChanged(enable, was);
    if (handler) this.queue.DispatchAsync(handler);
  }

  /** Mirrors `IODispatchSource::Cancel(handler)`. */
  Cancel(handler?: () => unknown): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    this.cancelled();
    this.queue.DispatchAsync(() => handler?.());
  }

  /** Subclasses react to enable changes (arm or disarm their event). */
  protected enableChanged(_enable: boolean, _was: boolean): void {}

  /** Subclasses stop their event source here. */
  protected abstract cancelled(): void;

  /** Swaps a retained handler action: the new one is retained, the old released. */
  protected static swapAction(old: OSAction | null, next: OSAction | null): OSAction | null {
    next?.retain();
    old?.release();
    return next;
  }

  override free(): void {
    if (!this.#cancelled) {
      this.#cancelled = true;
      this.cancelled();
    }
    this.queue.release();
    super.free();
  }
}
