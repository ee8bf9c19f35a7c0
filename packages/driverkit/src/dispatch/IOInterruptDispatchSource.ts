import { IOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnBadArgument, kIOReturnNoInterrupt, kIOReturnNotPermitted } from '../IOReturn/IOReturn';
import type { OSObject } from '../os/OSObject';
import { mach_absolute_time } from './IOClock';
import type { IODispatchQueue } from './IODispatchQueue';
import { IODispatchSource } from './IODispatchSource';
import type { OSAction } from './OSAction';

/** Mirrors `kIOInterruptTypeEdge` / `kIOInterruptTypeLevel`. */
export const kIOInterruptTypeEdge = 0n;
export const kIOInterruptTypeLevel = 1n;
/** Mirrors the `IOInterruptDispatchSource::Create` index flags. */
export const kIOInterruptSourceIndexMask = 0xffff;
export const kIOInterruptSourceAbsoluteTime = 0;
export const kIOInterruptSourceContinuousTime = 0x10000;

/**
 * One interrupt line of a provider, as a backend delivers it: an eventfd (VFIO, uio), the completion
 * of a USB interrupt transfer, or a virtual device. `subscribe` returns an unsubscribe function.
 */
export interface IOInterruptLine {
  readonly type: 'edge' | 'level';
  subscribe(listener: (count: number, time: bigint) => void): () => void;
}

/** What a provider (a PCI or virtual device nub) implements so drivers can take its interrupts. */
export interface IOInterruptProvider {
  /** The line for `index`, or null when the provider has no such interrupt. */
  copyInterruptLine(index: number): IOInterruptLine | null;
}

function lineOf(provider: OSObject, index: number): IOInterruptLine {
  const p = provider as unknown as Partial<IOInterruptProvider>;
  if (typeof p.copyInterruptLine !== 'function') {
    throw new IOReturnError(kIOReturnNoInterrupt, `${provider.getClassName()} has no interrupts`);
  }
  const line = p.copyInterruptLine(index & kIOInterruptSourceIndexMask);
  if (!line) throw new IOReturnError(kIOReturnNoInterrupt, `${provider.getClassName()} has no interrupt ${index & kIOInterruptSourceIndexMask}`);
  return line;
}

/**
 * Mirrors `IOInterruptDispatchSource`: delivers a provider's interrupts to `InterruptOccurred(action,
 * count, time)` on the handler's queue. Interrupts arriving while a delivery is queued, or while the
 * source is disabled, are coalesced: `count` says how many there were, `time` when the last came.
 */
export class IOInterruptDispatchSource extends IODispatchSource {
  #handler: OSAction | null = null;
  #unsubscribe: (() => void) | null;
  #count = 0n;
  #lastTime = 0n;
  #undelivered = 0n;
  #deliveryQueued = false;

  private constructor(line: IOInterruptLine, queue: IODispatchQueue) {
    super(queue);
    this.#unsubscribe = line.subscribe((count, time) => this.#interrupt(count, time));
  }

  /** Mirrors `IOInterruptDispatchSource::Create(provider, index, queue, &source)`. */
  static Create(provider: OSObject, index: number, queue: IODispatchQueue): IOInterruptDispatchSource {
    if (!Number.isInteger(index) || index < 0) throw new IOReturnError(kIOReturnBadArgument, `interrupt index must be a non-negative integer, got ${index}`);
    return new IOInterruptDispatchSource(lineOf(provider, index), queue);
  }

  /** Mirrors `IOInterruptDispatchSource::GetInterruptType(provider, index, &type)`. */
  static GetInterruptType(provider: OSObject, index: number): bigint {
    return lineOf(provider, index).type === 'level' ? kIOInterruptTypeLevel : kIOInterruptTypeEdge;
  }

  /** Mirrors `IOInterruptDispatchSource::SetHandler`. */
  SetHandler(action: OSAction): void {
    if (this.isCancelled()) throw new IOReturnError(kIOReturnNotPermitted, 'IOInterruptDispatchSource is cancelled');
    this.#handler = IODispatchSource.swapAction(this.#handler, action);
    this.#scheduleDelivery();
  }

  /** Mirrors `IOInterruptDispatchSource::GetLastInterrupt(&count, &time)`: the total count and the last time. */
  GetLastInterrupt(): { count: bigint; time: bigint } {
    return { count: this.#count, time: this.#lastTime };
  }

  #interrupt(count: number, time: bigint): void {
    if (this.isCancelled()) return;
    const n = BigInt(count);
    this.#count += n;
    this.#undelivered += n;
    this.#lastTime = time || mach_absolute_time();
    this.#scheduleDelivery();
  }

  #scheduleDelivery(): void {
    if (this.#deliveryQueued || this.#undelivered === 0n || !this.#handler || !this.isEnabled()) return;
    this.#deliveryQueued = true;
    // Collect everything that arrives before the queue gets to us into one delivery.
    queueMicrotask(() => {
      this.#deliveryQueued = false;
      const handler = this.#handler;
      if (!handler || !this.isEnabled() || this.#undelivered === 0n) return;
      const count = this.#undelivered;
      this.#undelivered = 0n;
      handler.dispatch(count, this.#lastTime);
    });
  }

  protected override enableChanged(enable: boolean): void {
    if (enable) this.#scheduleDelivery();
  }

  protected cancelled(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    this.#handler = IODispatchSource.swapAction(this.#handler, null);
  }
}
