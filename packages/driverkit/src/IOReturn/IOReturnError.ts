import { ioReturnName, ioReturnString, kIOReturnError } from './IOReturn';

const brand = Symbol.for('@driverkit/driverkit/IOReturnError');

/** Extra facts an {@link IOReturnError} may carry about where it came from. */
export interface IOReturnErrorOptions {
  /** The operating-system error this code was mapped from at a backend's edge (errno, libusb code…). */
  osError?: number | string;
  /** For decoders: the byte offset in the input where the problem was found. */
  offset?: number;
  /** The underlying error, when one was caught and translated. */
  cause?: unknown;
}

/**
 * An error that carries a kIOReturn code: what every framework call rejects with.
 *
 * Mirrors a non-success `kern_return_t` from any DriverKit API. `code` is the unsigned value
 * (`0xe00002c0`), `name` the kIOReturn name (`kIOReturnNoDevice`), and the message ends with both, as
 * `… : kIOReturnNoDevice (0xe00002c0)`. Test for it with {@link isIOReturnError}, which checks a brand
 * rather than `instanceof`, so two copies of this package in one process still recognise each other.
 */
export class IOReturnError extends Error {
  /** The kIOReturn code, unsigned. */
  readonly code: number;
  /** The kIOReturn name, e.g. `kIOReturnBadArgument`, or `IOReturnError` for a code no package names. */
  declare name: string;
  /** The message without the code appended: what went wrong, for wrapping in a wider context. */
  readonly reason: string;
  readonly osError?: number | string;
  readonly offset?: number;

  constructor(code: number, message: string, options: IOReturnErrorOptions = {}) {
    const value = code >>> 0;
    super(`${message}: ${ioReturnString(value)}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = value;
    this.reason = message;
    this.name = ioReturnName(value) ?? 'IOReturnError';
    if (options.osError !== undefined) this.osError = options.osError;
    if (options.offset !== undefined) this.offset = options.offset;
    Object.defineProperty(this, brand, { value: true });
  }
}

/** True when `e` is an {@link IOReturnError} from any copy of this package. */
export function isIOReturnError(e: unknown): e is IOReturnError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[brand] === true;
}

/**
 * The kIOReturn code an exception stands for at a dispatch boundary: an IOReturnError's own code,
 * anything else `kIOReturnError`. This is how an override that throws is reported to its caller.
 */
export function ioReturnFromException(e: unknown): number {
  return isIOReturnError(e) ? e.code : kIOReturnError;
}

/** Throws an {@link IOReturnError} for a non-success code; returns quietly for `kIOReturnSuccess`. */
export function checkIOReturn(code: number, what: string): void {
  if (code >>> 0 !== 0) throw new IOReturnError(code, what);
}

/**
 * What went wrong, without the code suffix an IOReturnError's message carries: for sending an error
 * on to another process, which adds the suffix again when it rebuilds the error.
 */
export function errorReason(e: unknown): string {
  if (e instanceof IOReturnError) return e.reason;
  return e instanceof Error ? e.message : String(e);
}
