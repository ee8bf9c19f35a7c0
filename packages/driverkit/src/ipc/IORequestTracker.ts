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
 */
export class IORequestTracker {
  #next = 1;
  readonly #pending = new Map<number, { resolve: (m: OSDictionary) => void; reject: (e: Error) => void; timer: NodeJS.Timeout | undefined; what: string; raw: boolean }>();

  /**
   * Registers a request; returns its id and the promise of its reply. A `raw` request resolves with
   * the reply whatever its status (for replies whose status belongs to the caller, as a call's does).
   */
  begin(what: string, timeoutMs: number, raw = false): { rid: number; reply: Promise<OSDictionary> } {
    const rid = this.#next++;
    const reply = new Promise<OSDictionary>((resolve, reject) => {
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

  /** Settles the request a reply answers; returns false for an unknown or late rid. */
  settle(message: OSDictionary): boolean {
    const rid = message.getObject('rid');
    const entry = rid instanceof OSNumber ? this.#pending.get(Number(rid.unsigned32BitValue())) : undefined;
    if (!entry) return false;
    this.#pending.delete(Number((rid as OSNumber).unsigned32BitValue()));
    clearTimeout(entry.timer);
    const status = message.getObject('status');
    const code = status instanceof OSNumber ? status.unsigned32BitValue() : 0;
    if (code === 0 || entry.raw) entry.resolve(message);
    else {
      const text = message.getObject('message');
      entry.reject(new IOReturnError(code, `${entry.what}: ${text instanceof OSString ? text.getCStringNoCopy() : 'failed'}`));
    }
    return true;
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
