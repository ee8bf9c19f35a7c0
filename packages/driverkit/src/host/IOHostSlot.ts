import { IOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnNotReady } from '../IOReturn/IOReturn';
import type { IOServiceHost } from './IOServiceHost';

/**
 * A place on a driver host for one object a family makes per host (its virtual bus, say), so that
 * code given only the host — a virtual bench, a test — finds the one that host's family uses, and two
 * hosts in one process never share it. The slot is keyed by `Symbol.for(name)`: a second copy of
 * the family package (a sample's own node_modules) finds the same object.
 */
export class IOHostSlot<T> {
  readonly #key: symbol;

  /** `missing` says what to do when a host has nothing in the slot (which plugin registers it). */
  constructor(
    readonly name: string,
    readonly missing: string,
  ) {
    this.#key = Symbol.for(name);
  }

  /** The host's object; throws kIOReturnNotReady with `missing` when it has none. */
  get(host: IOServiceHost): T {
    const value = (host as unknown as Record<symbol, T | undefined>)[this.#key];
    if (value === undefined) throw new IOReturnError(kIOReturnNotReady, this.missing);
    return value;
  }

  /** Puts `value` in the host's slot; null empties it. */
  set(host: IOServiceHost, value: T | null): void {
    const slots = host as unknown as Record<symbol, T | undefined>;
    if (value === null) delete slots[this.#key];
    else slots[this.#key] = value;
  }
}
