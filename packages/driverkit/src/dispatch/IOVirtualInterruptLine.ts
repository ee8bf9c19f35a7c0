import { mach_absolute_time } from './IOClock';
import type { IOInterruptLine } from './IOInterruptDispatchSource';

/**
 * An interrupt line raised from JavaScript: what virtual devices, and backends that learn of an event
 * by a callback (a USB interrupt-IN completion), hand to {@link IOInterruptDispatchSource}.
 */
export class IOVirtualInterruptLine implements IOInterruptLine {
  readonly #listeners = new Set<(count: number, time: bigint) => void>();

  constructor(readonly type: 'edge' | 'level' = 'edge') {}

  /** Raises the interrupt `count` times, stamped now. */
  raise(count = 1): void {
    const time = mach_absolute_time();
    for (const l of this.#listeners) l(count, time);
  }

  subscribe(listener: (count: number, time: bigint) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** How many sources listen. */
  listenerCount(): number {
    return this.#listeners.size;
  }
}
