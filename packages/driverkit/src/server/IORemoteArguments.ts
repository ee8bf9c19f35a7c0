import { IOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnBadArgument } from '../IOReturn/IOReturn';
import { OSData } from '../os/OSData';
import type { OSDictionary } from '../os/OSDictionary';
import { OSNumber } from '../os/OSNumber';
import type { OSObject } from '../os/OSObject';
import { OSString } from '../os/OSString';

/**
 * The arguments of one providerCall, read as a nub must read them: nothing a driver process sends
 * is trusted, and each refusal is kIOReturnBadArgument naming the call and the argument.
 */
export class IORemoteArguments {
  constructor(
    readonly args: OSDictionary,
    /** How refusals name the call ("USB call", "HID setReport"). */
    readonly call: string,
  ) {}

  /** The raw value, or null when absent. */
  get(key: string): OSObject | null {
    return this.args.getObject(key);
  }

  #bad(key: string, problem: string): IOReturnError {
    return new IOReturnError(kIOReturnBadArgument, `${this.call}: "${key}" ${problem}`);
  }

  /** A whole number from 0 to `max` (at most 2^53 − 1). */
  number(key: string, max = Number.MAX_SAFE_INTEGER): number {
    const v = this.args.getObject(key);
    if (!(v instanceof OSNumber)) throw this.#bad(key, 'is missing or not a number');
    const n = Number(v.unsigned64BitValue());
    if (!Number.isSafeInteger(n) || n > max) throw this.#bad(key, max === Number.MAX_SAFE_INTEGER ? 'is out of range' : `must be a number from 0 to ${max}`);
    return n;
  }

  /** A string, one of `allowed` when given. */
  string<T extends string = string>(key: string, allowed?: readonly T[]): T {
    const v = this.args.getObject(key);
    if (!(v instanceof OSString)) throw this.#bad(key, allowed ? `must be one of ${allowed.join(', ')}` : 'is missing or not a string');
    const s = v.getCStringNoCopy();
    if (allowed && !allowed.includes(s as T)) throw this.#bad(key, `must be one of ${allowed.join(', ')}`);
    return s as T;
  }

  /** Bytes of at most `maxLength`, or null when absent. */
  data(key: string, maxLength = Infinity): Uint8Array | null {
    const v = this.args.getObject(key);
    if (v === null) return null;
    if (!(v instanceof OSData)) throw this.#bad(key, 'is not data');
    if (v.getLength() > maxLength) throw this.#bad(key, `is longer than ${maxLength} bytes`);
    return v.getBytesNoCopy();
  }

  /** Bytes that must be there. */
  requiredData(key: string, maxLength = Infinity): Uint8Array {
    const d = this.data(key, maxLength);
    if (!d) throw this.#bad(key, 'is missing or not data');
    return d;
  }
}
