import { IOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnBadArgument, kIOReturnNotPermitted, kIOReturnSuccess } from '../IOReturn/IOReturn';
import { IODataQueueDoorbell } from '../dataqueue/IODataQueueDoorbell';
import { CAPACITY, IODataQueueRing, kIODataQueueEntryHeaderSize, kIODataQueueHeaderSize, kIODataQueueMagic, MAGIC } from '../dataqueue/IODataQueueRing';
import { IOBufferMemoryDescriptor } from '../memory/IOBufferMemoryDescriptor';
import { kIOMemoryDirectionInOut } from '../memory/IOMemoryDescriptor';
import { IOSharedMemory, type IOSharedMemoryKind } from '../memory/IOSharedMemory';
import type { IODispatchQueue } from './IODispatchQueue';
import { IODispatchSource } from './IODispatchSource';
import type { OSAction } from './OSAction';

/** Mirrors `IODataQueueClientEnqueueEntryBlock`: fill the view (exactly the entry's size). */
export type IODataQueueEnqueueBlock = (data: Uint8Array) => void;
/** Mirrors `IODataQueueClientDequeueEntryBlock`: read the view (valid only during the call). */
export type IODataQueueDequeueBlock = (data: Uint8Array) => void;

/**
 * Mirrors `IODataQueueDispatchSource`: a single-producer single-consumer queue of variable-size
 * entries in memory laid out like Apple's (see {@link IODataQueueRing}), with a DataAvailable
 * notification when it goes from empty to non-empty and a DataServiced notification after a dequeue
 * when the producer found it full.
 *
 * The memory can be shared: `Create(…, 'thread')` for worker threads, `'process'` (the default where
 * the native calls work) for other processes, which attach with {@link CreateWithMemory}. Each end
 * invokes its own handlers directly and rings a doorbell in the header for the other end.
 *
 * `Enqueue`/`Dequeue` return the kIOReturn status (`kIOReturnOverrun` when full, `kIOReturnUnderrun`
 * when empty) rather than throwing: on this hot path a full or empty queue is an expected answer.
 * Handlers run on their action's method queue, as Apple's do.
 */
export class IODataQueueDispatchSource extends IODispatchSource {
  readonly #memory: IOBufferMemoryDescriptor;
  readonly #ring: IODataQueueRing;
  readonly #doorbell: IODataQueueDoorbell;
  #available: OSAction | null = null;
  #serviced: OSAction | null = null;

  private constructor(memory: IOBufferMemoryDescriptor, capacity: number, queue: IODispatchQueue, format: boolean) {
    super(queue);
    this.#memory = memory;
    const shared = memory.sharedMemory;
    this.#ring = new IODataQueueRing(shared.buffer, capacity);
    if (format) this.#ring.format();
    this.#doorbell = new IODataQueueDoorbell(shared, this.#ring.words);
  }

  /**
   * Mirrors `IODataQueueDispatchSource::Create(queueByteCount, queue, &source)`: `queueByteCount`
   * must be a positive multiple of 4 (else `kIOReturnBadArgument`); the memory is that plus the
   * 128-byte header.
   */
  static Create(queueByteCount: bigint | number, queue: IODispatchQueue, kind?: IOSharedMemoryKind): IODataQueueDispatchSource {
    const n = Number(queueByteCount);
    if (!Number.isSafeInteger(n) || n <= 0 || n % 4 !== 0 || n > 0xffff_ffff - kIODataQueueHeaderSize) {
      throw new IOReturnError(kIOReturnBadArgument, `IODataQueueDispatchSource.Create: queueByteCount must be a positive multiple of 4, got ${queueByteCount}`);
    }
    const memory = IOBufferMemoryDescriptor.Create(kIOMemoryDirectionInOut, n + kIODataQueueHeaderSize, 0, kind);
    return new IODataQueueDispatchSource(memory, n, queue, true);
  }

  /**
   * The other end of a queue: a source over memory that another thread or process created with
   * {@link Create} (obtained from its `CopyMemory()`, attached by name or SharedArrayBuffer).
   */
  static CreateWithMemory(memory: IOBufferMemoryDescriptor, queue: IODispatchQueue): IODataQueueDispatchSource {
    const bytes = memory.sharedMemory.buffer;
    if (bytes.byteLength < kIODataQueueHeaderSize + 4) {
      throw new IOReturnError(kIOReturnBadArgument, `the memory (${bytes.byteLength} bytes) is too small for a data queue`);
    }
    const words = new Int32Array(bytes, 0, kIODataQueueHeaderSize / 4);
    const capacity = Atomics.load(words, CAPACITY) >>> 0;
    if (Atomics.load(words, MAGIC) !== kIODataQueueMagic || capacity % 4 !== 0 || capacity + kIODataQueueHeaderSize > bytes.byteLength || capacity === 0) {
      throw new IOReturnError(kIOReturnBadArgument, 'the memory does not hold a data queue made by IODataQueueDispatchSource.Create');
    }
    return new IODataQueueDispatchSource(memory.retain(), capacity, queue, false);
  }

  /**
   * The other end of a queue another process made, by its memory's name. With `owner` (the calling
   * driver process, as the host knows it: see `callerProcess`), the memory must be that process's own
   * ({@link IOSharedMemory.attach}'s `owner`), as a host must check before it maps what a driver names.
   */
  static attachByName(memoryName: string, queue: IODispatchQueue, owner?: { pid: number; uid: number } | null): IODataQueueDispatchSource {
    const memory = IOBufferMemoryDescriptor.withSharedMemory(kIOMemoryDirectionInOut, IOSharedMemory.attach(memoryName, { owner }));
    try {
      return IODataQueueDispatchSource.CreateWithMemory(memory, queue);
    } finally {
      memory.release();
    }
  }

  /** Mirrors `IODataQueueDispatchSource::GetDataQueueEntryHeaderSize`. */
  static GetDataQueueEntryHeaderSize(): number {
    return kIODataQueueEntryHeaderSize;
  }

  /** Mirrors `CopyMemory`: the queue's memory (header and entries), retained for the caller. */
  CopyMemory(): IOBufferMemoryDescriptor {
    return this.#memory.retain();
  }

  /** Mirrors `SetDataAvailableHandler`: if data is already queued, the handler is sent at once. */
  SetDataAvailableHandler(action: OSAction | null): void {
    this.#checkLive();
    this.#available = IODispatchSource.swapAction(this.#available, action);
    if (action) {
      this.#doorbell.listen('available', () => this.#invoke(this.#available));
      if (this.IsDataAvailable()) this.#invoke(action);
    }
  }

  /** Mirrors `SetDataServicedHandler`. */
  SetDataServicedHandler(action: OSAction | null): void {
    this.#checkLive();
    this.#serviced = IODispatchSource.swapAction(this.#serviced, action);
    if (action) this.#doorbell.listen('serviced', () => this.#invoke(this.#serviced));
  }

  /** Mirrors `IsDataAvailable`. */
  IsDataAvailable(): boolean {
    return this.#ring.isDataAvailable();
  }

  /** Mirrors `CanEnqueueData(size[, count])`. */
  CanEnqueueData(dataSize: number, dataCount = 1): boolean {
    return this.#ring.canEnqueue(dataSize, dataCount);
  }

  /** Mirrors `Enqueue(size, block)`: `fill` may also be the bytes to copy. Sends DataAvailable on empty → non-empty. */
  Enqueue(dataSize: number, fill: IODataQueueEnqueueBlock | Uint8Array): number {
    const status = this.#ring.enqueue(dataSize, fill);
    if (this.#ring.lastEnqueueWasEmpty) this.SendDataAvailable();
    return status;
  }

  /** Mirrors `EnqueueWithCoalesce`: the caller decides when to send DataAvailable. */
  EnqueueWithCoalesce(dataSize: number, fill: IODataQueueEnqueueBlock | Uint8Array): { status: number; sendDataAvailable: boolean } {
    const status = this.#ring.enqueue(dataSize, fill);
    return { status, sendDataAvailable: this.#ring.lastEnqueueWasEmpty };
  }

  /** Mirrors `Peek(block)`. */
  Peek(read: IODataQueueDequeueBlock): number {
    return this.#ring.peek(read);
  }

  /** Mirrors `Dequeue(block)`: sends DataServiced when the producer asked for it. */
  Dequeue(read?: IODataQueueDequeueBlock): number {
    const status = this.#ring.dequeue(read);
    if (this.#ring.lastDequeueNeedsService) this.SendDataServiced();
    return status;
  }

  /**
   * Dequeues every entry now in the queue, each through `read`, until it is empty or the source is
   * cancelled (by `read` itself, say); returns how many. Not an Apple method: the loop every
   * DataAvailable handler that takes all it is given would write.
   */
  DequeueAll(read: IODataQueueDequeueBlock): number {
    let n = 0;
    while (!this.isCancelled() && this.Dequeue(read) === kIOReturnSuccess) n++;
    return n;
  }

  /** Mirrors `DequeueWithCoalesce`: the caller decides when to send DataServiced. */
  DequeueWithCoalesce(read?: IODataQueueDequeueBlock): { status: number; sendDataServiced: boolean } {
    const status = this.#ring.dequeue(read);
    return { status, sendDataServiced: this.#ring.lastDequeueNeedsService };
  }

  /** Copies the oldest entry into `target` and removes it; returns its size, or -1 when empty. */
  DequeueInto(target: Uint8Array): number {
    const n = this.#ring.dequeueInto(target);
    if (this.#ring.lastDequeueNeedsService) this.SendDataServiced();
    return n;
  }

  /** Mirrors `SendDataAvailable`: this end's handler, and the other end's through the doorbell. */
  SendDataAvailable(): void {
    if (this.isCancelled()) return;
    this.#invoke(this.#available);
    this.#doorbell.ring('available');
  }

  /** Mirrors `SendDataServiced`: clears needServicedCallback and notifies both ends. */
  SendDataServiced(): void {
    if (this.isCancelled()) return;
    this.#ring.needServicedCallback = false;
    this.#invoke(this.#serviced);
    this.#doorbell.ring('serviced');
  }

  #invoke(action: OSAction | null): void {
    if (action && this.isEnabled()) action.dispatch();
  }

  #checkLive(): void {
    if (this.isCancelled()) throw new IOReturnError(kIOReturnNotPermitted, 'IODataQueueDispatchSource is cancelled');
  }

  protected override enableChanged(enable: boolean): void {
    if (enable && this.IsDataAvailable()) this.#invoke(this.#available);
  }

  protected cancelled(): void {
    this.#doorbell.close();
    this.#available = IODispatchSource.swapAction(this.#available, null);
    this.#serviced = IODispatchSource.swapAction(this.#serviced, null);
  }

  override free(): void {
    super.free();
    this.#memory.release();
  }
}

