import { kIOReturnError, kIOReturnOverrun, kIOReturnSuccess, kIOReturnUnderrun } from '../IOReturn/IOReturn';

/** Size of the queue header (`IODataQueueMemory`) before the entries. */
export const kIODataQueueHeaderSize = 128;
/** Size of an entry's header (`IODataQueueEntry.size`). */
export const kIODataQueueEntryHeaderSize = 4;

/** Header words (Int32 indexes): 0–2 are Apple's, the rest live in Apple's reserved bytes. @internal */
export const HEAD = 0;
export const TAIL = 1;
// Word 2 holds needServicedCallback in its first byte (byte 8) and is otherwise unused.
export const MAGIC = 3;
export const CAPACITY = 4;
export const AVAILABLE_SEQ = 5;
export const SERVICED_SEQ = 6;
export const AVAILABLE_WAITERS = 7;
export const SERVICED_WAITERS = 8;
/** The pid whose FIFO bell hears DataAvailable / DataServiced (0: none; see IODataQueueBell). */
export const AVAILABLE_BELL = 9;
export const SERVICED_BELL = 10;

/** 'DKDQ': marks memory set up by {@link IODataQueueRing.format}. */
export const kIODataQueueMagic = 0x5144_4b44;

const UINT32_MAX = 0xffff_ffff;

/**
 * The data queue itself: a single-producer single-consumer ring laid out byte for byte like Apple's
 * `IODataQueueMemory` (u32 head at 0, u32 tail at 4, u8 needServicedCallback at 8, entries from byte
 * 128, each a u32 size and the data padded to 4), with Apple's enqueue and dequeue rules: a full queue
 * keeps a gap so the tail never reaches the head; an entry that does not fit before the end wraps to
 * the start, leaving its padded size at the old tail when 4 bytes remain there; head and tail are
 * published with Atomics.
 *
 * The memory may be shared with another thread or process that is not trusted: every offset and size
 * read from it is checked, and a corrupt queue gives `kIOReturnError`, never an exception.
 */
export class IODataQueueRing {
  readonly capacity: number;
  readonly #words: Int32Array;
  readonly #flags: Uint8Array;
  readonly #data: Uint8Array;
  readonly #view: DataView;
  /** Set by the last enqueue: the queue was empty before it (send DataAvailable). */
  lastEnqueueWasEmpty = false;
  /** Set by the last dequeue: the producer asked to be told when room frees up (send DataServiced). */
  lastDequeueNeedsService = false;

  constructor(buffer: ArrayBuffer | SharedArrayBuffer, capacity: number, byteOffset = 0) {
    this.capacity = capacity;
    this.#words = new Int32Array(buffer, byteOffset, kIODataQueueHeaderSize / 4);
    this.#flags = new Uint8Array(buffer, byteOffset, kIODataQueueHeaderSize);
    this.#data = new Uint8Array(buffer, byteOffset + kIODataQueueHeaderSize, capacity);
    this.#view = new DataView(buffer, byteOffset + kIODataQueueHeaderSize, capacity);
  }

  /** Writes an empty queue's header into fresh memory. */
  format(): void {
    Atomics.store(this.#words, HEAD, 0);
    Atomics.store(this.#words, TAIL, 0);
    this.#flags[8] = 0;
    Atomics.store(this.#words, AVAILABLE_BELL, 0);
    Atomics.store(this.#words, SERVICED_BELL, 0);
    Atomics.store(this.#words, CAPACITY, this.capacity | 0);
    Atomics.store(this.#words, MAGIC, kIODataQueueMagic);
  }

  /** The header words, for the doorbell. @internal */
  get words(): Int32Array {
    return this.#words;
  }

  /** Mirrors `IsDataAvailable`: head != tail. */
  isDataAvailable(): boolean {
    return Atomics.load(this.#words, HEAD) !== Atomics.load(this.#words, TAIL);
  }

  get needServicedCallback(): boolean {
    return Atomics.load(this.#flags, 8) !== 0;
  }

  set needServicedCallback(v: boolean) {
    Atomics.store(this.#flags, 8, v ? 1 : 0);
  }

  /**
   * Mirrors `EnqueueWithCoalesce`: `fill` receives a view of `size` bytes to write into (or `bytes`
   * are copied). Returns the status; {@link lastEnqueueWasEmpty} tells whether to send DataAvailable.
   */
  enqueue(size: number, fill: ((data: Uint8Array) => void) | Uint8Array): number {
    this.lastEnqueueWasEmpty = false;
    const w = this.#words;
    const queueSize = this.capacity;
    const tail = Atomics.load(w, TAIL) >>> 0;
    let head = Atomics.load(w, HEAD) >>> 0;
    if (!Number.isInteger(size) || size < 0 || size > UINT32_MAX - 3) return kIOReturnOverrun;
    const dataSize = (size + 3) & ~3;
    const entrySize = kIODataQueueEntryHeaderSize + dataSize;
    if (entrySize > UINT32_MAX) return kIOReturnOverrun;
    if (queueSize < tail || queueSize < head) return kIOReturnUnderrun;

    let at: number;
    let newTail: number;
    if (tail >= head) {
      if (tail + entrySize <= queueSize) {
        at = tail;
        newTail = tail + entrySize;
      } else if (head > entrySize) {
        at = 0;
        newTail = entrySize;
      } else {
        return this.#full();
      }
    } else if (head - tail > entrySize) {
      at = tail;
      newTail = tail + entrySize;
    } else {
      return this.#full();
    }

    const data = this.#data;
    if (typeof fill === 'function') fill(data.subarray(at + 4, at + 4 + size));
    else data.set(fill.length === size ? fill : fill.subarray(0, size), at + 4);
    this.#view.setUint32(at, size, true);
    // Wrapped: leave the entry's padded size at the old tail, when there is room, so the reader wraps.
    if (at === 0 && tail !== 0 && queueSize - tail >= kIODataQueueEntryHeaderSize) this.#view.setUint32(tail, dataSize, true);

    Atomics.store(w, TAIL, newTail | 0);
    if (tail !== head) head = Atomics.load(w, HEAD) >>> 0;
    if (tail === head) this.lastEnqueueWasEmpty = true;
    return kIOReturnSuccess;
  }

  #full(): number {
    // Ask to be told of the next dequeue, and prod the consumer.
    this.needServicedCallback = true;
    this.lastEnqueueWasEmpty = true;
    return kIOReturnOverrun;
  }

  /** Mirrors `Peek`: `read` sees the oldest entry, which stays queued. */
  peek(read: (data: Uint8Array) => void): number {
    const found = this.#locate();
    if (found < 0) return found === -1 ? kIOReturnUnderrun : kIOReturnError;
    read(this.#data.subarray(this.#entryAt + 4, this.#entryAt + 4 + this.#entrySize));
    return kIOReturnSuccess;
  }

  /**
   * Mirrors `DequeueWithCoalesce`: `read` sees the oldest entry (valid only during the call), then
   * it is removed. {@link lastDequeueNeedsService} tells whether to send DataServiced.
   */
  dequeue(read?: (data: Uint8Array) => void): number {
    this.lastDequeueNeedsService = false;
    const found = this.#locate();
    if (found === -1) {
      if (this.needServicedCallback) this.lastDequeueNeedsService = true;
      return kIOReturnUnderrun;
    }
    if (found < 0) return kIOReturnError;
    read?.(this.#data.subarray(this.#entryAt + 4, this.#entryAt + 4 + this.#entrySize));
    if (this.needServicedCallback) this.lastDequeueNeedsService = true;
    Atomics.store(this.#words, HEAD, this.#newHead | 0);
    return kIOReturnSuccess;
  }

  /** Copies the oldest entry out into `target` and removes it; returns its size, or -1 when empty or corrupt. */
  dequeueInto(target: Uint8Array): number {
    this.lastDequeueNeedsService = false;
    const found = this.#locate();
    if (found < 0) {
      if (found === -1 && this.needServicedCallback) this.lastDequeueNeedsService = true;
      return -1;
    }
    const n = Math.min(this.#entrySize, target.length);
    const from = this.#entryAt + 4;
    // Small entries (packet indices, events) are copied byte by byte: no view object per dequeue.
    if (n <= 32) for (let i = 0; i < n; i++) target[i] = this.#data[from + i]!;
    else target.set(this.#data.subarray(from, from + n));
    if (this.needServicedCallback) this.lastDequeueNeedsService = true;
    Atomics.store(this.#words, HEAD, this.#newHead | 0);
    return this.#entrySize;
  }

  /**
   * Mirrors `CanEnqueueData(size, count)`: whether `count` entries of `size` bytes would fit now,
   * placed as enqueue would place them.
   */
  canEnqueue(size: number, count = 1): boolean {
    let tail = Atomics.load(this.#words, TAIL) >>> 0;
    const head = Atomics.load(this.#words, HEAD) >>> 0;
    const entrySize = kIODataQueueEntryHeaderSize + ((size + 3) & ~3);
    if (this.capacity < tail || this.capacity < head) return false;
    for (let i = 0; i < count; i++) {
      if (tail >= head) {
        if (tail + entrySize <= this.capacity) tail += entrySize;
        else if (head > entrySize) tail = entrySize;
        else return false;
      } else if (head - tail > entrySize) {
        tail += entrySize;
      } else {
        return false;
      }
    }
    return true;
  }

  #entryAt = 0;
  #entrySize = 0;
  #newHead = 0;

  // Finds the entry at the head, as Apple's dequeue does: 0 found, -1 empty, -2 corrupt.
  #locate(): number {
    const w = this.#words;
    const queueSize = this.capacity;
    const headOffset = Atomics.load(w, HEAD) >>> 0;
    const tailOffset = Atomics.load(w, TAIL) >>> 0;
    if (headOffset === tailOffset) return -1;
    if (headOffset > queueSize) return -2;
    const view = this.#view;
    let size = headOffset + 4 <= queueSize ? view.getUint32(headOffset, true) : 0;
    let padded = (size + 3) & ~3;
    if (headOffset + 4 > queueSize || size > UINT32_MAX - 3 || headOffset + padded + 4 > queueSize) {
      // No room at the end for the header or the data: the entry wrapped to the start.
      size = view.getUint32(0, true);
      padded = (size + 3) & ~3;
      if (size > UINT32_MAX - 3 || padded + 4 > queueSize) return -2;
      this.#entryAt = 0;
      this.#newHead = padded + 4;
    } else {
      this.#entryAt = headOffset;
      this.#newHead = headOffset + padded + 4;
    }
    this.#entrySize = size;
    return 0;
  }
}
