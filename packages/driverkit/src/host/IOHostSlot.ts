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

  /** What `get` says of a host with nothing in the slot: what it lacks, and which plugin registers it. */
  readonly missing: string;

  /**
   * @param name the slot's key, unique among families (`@driverkit/usbdriverkit.VirtualUSBHost`)
   * @param what what a host holds in it, for the error (`virtual USB bus`)
   * @param family the family whose plugin fills it (`USB`)
   */
  constructor(
    readonly name: string,
    what: string,
    family: string,
  ) {
    this.#key = Symbol.for(name);
    this.missing = `this driver host has no ${what}: the ${family} family's plugin is not registered on it (\`driverkit run\` loads installed families; a test calls register(host))`;
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
