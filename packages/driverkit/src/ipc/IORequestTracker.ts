import { IOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnNotAttached, kIOReturnTimeout } from '../IOReturn/IOReturn';
import { OSNumber } from '../os/OSNumber';
import { OSString } from '../os/OSString';
import { OSDictionary } from '../os/OSDictionary';
import type { OSObject } from '../os/OSObject';

/**
 * Request ids and replies over an {@link IOMessageChannel}: each request carries `rid`; the reply
 * carries the same `rid`, a kIOReturn `status`, and on failure a `message`. Pending requests fail with
 * `kIOReturnTimeout` after their timeout and with `kIOReturnNotAttached` when the peer goes away.
 * Replies of another shape (a user-client call's reply frame, `T = Buffer`) are handed over by id with
 * {@link resolve}.
 */
export class IORequestTracker<T = OSDictionary> {
  #next = 1;
  readonly #pending = new Map<number, { resolve: (m: T) => void; reject: (e: Error) => void; timer: NodeJS.Timeout | undefined; what: string; raw: boolean }>();

  /**
   * Registers a request; returns its id (1 to 2^32 − 2, as a frame's 32-bit field holds it) and the
   * promise of its reply. A `raw` request resolves with the reply whatever its status (for replies
   * whose status belongs to the caller, as a call's does). A timeout of 0 waits until the reply or
   * the peer's end.
   */
  begin(what: string, timeoutMs: number, raw = false): { rid: number; reply: Promise<T> } {
    const rid = this.#next;
    this.#next = (this.#next % 0xffff_fffe) + 1;
    const reply = new Promise<T>((resolve, reject) => {
      // 0 waits forever: the peer owns the timeout (a pipe's completion timeout).
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              this.#pending.delete(rid);
              reject(new IOReturnError(kIOReturnTimeout, `${what}: no reply within ${timeoutMs} ms`));
            }, timeoutMs)
          : undefined;
      this.#pending.set(rid, { resolve, reject, timer, what, raw });
    });
    return { rid, reply };
  }

  /** Resolves request `rid` with `reply` as it is; returns false for an unknown or late rid. */
  resolve(rid: number, reply: T): boolean {
    const entry = this.#take(rid);
    entry?.resolve(reply);
    return entry !== undefined;
  }

  /** Settles the request a reply dictionary answers, by its `status`; returns false for an unknown or late rid. */
  settle(this: IORequestTracker<OSDictionary>, message: OSDictionary): boolean {
    const rid = message.getObject('rid');
    const entry = rid instanceof OSNumber ? this.#take(Number(rid.unsigned32BitValue())) : undefined;
    if (!entry) return false;
    const status = message.getObject('status');
    const code = status instanceof OSNumber ? status.unsigned32BitValue() : 0;
    if (code === 0 || entry.raw) entry.resolve(message);
    else {
      const text = message.getObject('message');
      entry.reject(new IOReturnError(code, `${entry.what}: ${text instanceof OSString ? text.getCStringNoCopy() : 'failed'}`));
    }
    return true;
  }

  /** Fails request `rid` with `error` (it could not be sent). */
  fail(rid: number, error: Error): void {
    this.#take(rid)?.reject(error);
  }

  #take(rid: number) {
    const entry = this.#pending.get(rid);
    if (!entry) return undefined;
    this.#pending.delete(rid);
    clearTimeout(entry.timer);
    return entry;
  }

  /** Fails every pending request: the peer is gone. */
  failAll(why: string): void {
    for (const [rid, e] of this.#pending) {
      clearTimeout(e.timer);
      e.reject(new IOReturnError(kIOReturnNotAttached, `${e.what}: ${why}`));
      this.#pending.delete(rid);
    }
  }

  get size(): number {
    return this.#pending.size;
  }
}

/** A request frame: `op`, `rid`, then the fields. The caller sends and releases it. */
export function requestMessage(op: string, rid: number, fields: Record<string, OSObject | string | number | bigint>): OSDictionary {
  const m = OSDictionary.withCapacity(2 + Object.keys(fields).length);
  m.setObject('op', op);
  m.setObject('rid', rid);
  for (const [k, v] of Object.entries(fields)) m.setObject(k, v);
  return m;
}
