import { kIOReturnSuccess } from '../IOReturn/IOReturn';
import type { IODataQueueDispatchSource } from './IODataQueueDispatchSource';

// How often records that found the queue full try again. A full queue means the other end stopped
// reading for a while, so a few retries a millisecond apart cost nothing, while a DataServiced listener
// would park a threadpool thread per queue for the queue's whole life.
const RETRY_MS = 1;

/**
 * Records for a data queue that had no room, sent in order once it has: for records that must not be
 * lost to a reader that fell behind (a USB transfer's request or completion, a HID device's removal).
 * Not an Apple class; the families' data channels share it.
 */
export class IODataQueueBacklog<T extends { record: Uint8Array }> {
  readonly #entries: T[] = [];
  #timer: NodeJS.Timeout | null = null;

  constructor(
    readonly queue: IODataQueueDispatchSource,
    readonly sent: (entry: T) => void,
  ) {}

  /** Enqueues `entry` now, or after those waiting before it. */
  send(entry: T): void {
    if (this.#entries.length === 0 && this.queue.Enqueue(entry.record.length, entry.record) === kIOReturnSuccess) return this.sent(entry);
    this.#entries.push(entry);
    this.#timer ??= setInterval(() => this.#flush(), RETRY_MS);
  }

  #flush(): void {
    while (this.#entries.length > 0) {
      const entry = this.#entries[0]!;
      if (this.queue.Enqueue(entry.record.length, entry.record) !== kIOReturnSuccess) return;
      this.#entries.shift();
      this.sent(entry);
    }
    this.clear();
  }

  /** Takes the waiting entries `match` picks out of the backlog (they will not be sent) and returns them, in order. */
  drop(match: (entry: T) => boolean): T[] {
    const dropped: T[] = [];
    for (let i = 0; i < this.#entries.length; ) {
      if (match(this.#entries[i]!)) dropped.push(...this.#entries.splice(i, 1));
      else i++;
    }
    if (this.#entries.length === 0) this.clear();
    return dropped;
  }

  /** Drops what waits (the queue's channel closed). */
  clear(): void {
    this.#entries.length = 0;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }
}
