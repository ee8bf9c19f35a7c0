import { IODataQueueDispatchSource, IOReturnError, OSObject, kIOReturnBadArgument, kIOReturnOverrun, kIOReturnSuccess, type IODispatchQueue } from '@driverkit/driverkit';
import type { IOUserNetworkPacket } from './IOUserNetworkPacket';
import type { IOUserNetworkPacketBufferPool } from './IOUserNetworkPacketBufferPool';

/** Which of the four queues a queue is; the stack and the driver each produce into two of them. */
export type IOUserNetworkPacketQueueType = 'RxSubmission' | 'RxCompletion' | 'TxSubmission' | 'TxCompletion';

// One packet index per entry: 4 bytes of header, 4 of data.
const ENTRY = 8;

/**
 * Mirrors `IOUserNetworkPacketQueue`, the base of the four queues: an IODataQueueDispatchSource
 * (`CopyDataQueue`) whose entries are packet indices in the queue's pool. The driver and the stack
 * (the host) each hold one end; the DataAvailable handler a driver sets on the data queue is how it
 * learns that the stack queued packets for it.
 */
export abstract class IOUserNetworkPacketQueue extends OSObject {
  abstract readonly queueType: IOUserNetworkPacketQueueType;
  readonly pool: IOUserNetworkPacketBufferPool;
  readonly capacity: number;
  readonly queueId: number;
  readonly #source: IODataQueueDispatchSource;
  readonly #scratch = new Uint8Array(4);
  readonly #scratchView = new DataView(this.#scratch.buffer);
  readonly #words: Int32Array;
  readonly #memoryName: string;
  readonly #ringBytes: number;
  #enabled = false;

  protected constructor(pool: IOUserNetworkPacketBufferPool, capacity: number, queueId: number, source: IODataQueueDispatchSource) {
    super();
    this.pool = pool.retain();
    this.capacity = capacity;
    this.queueId = queueId;
    this.#source = source;
    const memory = source.CopyMemory();
    this.#words = new Int32Array(memory.sharedMemory.buffer, 0, 2);
    this.#memoryName = memory.sharedMemory.name ?? '';
    this.#ringBytes = memory.sharedMemory.length - 128;
    memory.release();
    source.SetEnable(true);
  }

  /** The data queue memory for `capacity` packets, shared with the host. @internal */
  protected static createSource(capacity: number, queue: IODispatchQueue, what: string): IODataQueueDispatchSource {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 65536) throw new IOReturnError(kIOReturnBadArgument, `${what}.Create: capacity must be 1–65536 packets, got ${capacity}`);
    // One entry of slack: a full ring keeps a gap, so capacity entries fit.
    return IODataQueueDispatchSource.Create((capacity + 1) * ENTRY, queue, 'process');
  }

  /** Mirrors `CopyDataQueue`: the queue's data queue dispatch source, retained. */
  CopyDataQueue(): IODataQueueDispatchSource {
    return this.#source.retain();
  }

  /** Mirrors `SetEnable`: a disabled queue neither takes nor gives packets. */
  SetEnable(enable: boolean): number {
    this.#enabled = enable;
    return kIOReturnSuccess;
  }

  isEnabled(): boolean {
    return this.#enabled;
  }

  /** Mirrors `EnqueuePacket`: kIOReturnOverrun when the queue is full or disabled. */
  EnqueuePacket(packet: IOUserNetworkPacket): number {
    if (!this.#enabled) return kIOReturnOverrun;
    if (packet.GetPacketBufferPool() !== this.pool) return kIOReturnBadArgument;
    this.#scratchView.setUint32(0, packet.index, true);
    return this.#source.Enqueue(4, this.#scratch);
  }

  /** Mirrors `EnqueuePackets(packets, count)`: returns how many were queued (in order; stops at the first refusal). */
  EnqueuePackets(packets: readonly IOUserNetworkPacket[], count = packets.length): number {
    let n = 0;
    while (n < count && this.EnqueuePacket(packets[n]!) === kIOReturnSuccess) n++;
    return n;
  }

  /** Mirrors `DequeuePacket`: the next packet, or null when the queue is empty or disabled. */
  DequeuePacket(): IOUserNetworkPacket | null {
    if (!this.#enabled) return null;
    for (;;) {
      if (this.#source.DequeueInto(this.#scratch) !== 4) return null;
      const index = this.#scratchView.getUint32(0, true);
      // The stack checks every index it reads; the driver does too, so a corrupt entry costs one packet, not the driver.
      if (index < this.pool.GetPacketCount()) return this.pool.packet(index);
    }
  }

  /** Mirrors `DequeuePackets(packets, maxCount)`: fills `packets` from the start; returns how many. */
  DequeuePackets(packets: IOUserNetworkPacket[], maxCount = packets.length): number {
    let n = 0;
    while (n < maxCount) {
      const p = this.DequeuePacket();
      if (!p) break;
      packets[n++] = p;
    }
    return n;
  }

  /** Mirrors `GetPacketCount`: packets waiting in the queue (an estimate while the other end works). */
  GetPacketCount(): number {
    return this.#source.IsDataAvailable() ? this.#pending() : 0;
  }

  #pending(): number {
    const head = Atomics.load(this.#words, 0) >>> 0;
    const tail = Atomics.load(this.#words, 1) >>> 0;
    const bytes = tail >= head ? tail - head : this.#ringBytes - head + tail;
    return Math.floor(bytes / ENTRY);
  }

  /** What the host needs to attach this queue's other end. @internal */
  describe(): { type: IOUserNetworkPacketQueueType; memory: string; capacity: number; queueId: number } {
    return { type: this.queueType, memory: this.#memoryName, capacity: this.capacity, queueId: this.queueId };
  }

  /** @internal */
  get source(): IODataQueueDispatchSource {
    return this.#source;
  }

  override free(): void {
    this.#source.Cancel();
    this.#source.release();
    this.pool.release();
    super.free();
  }
}
