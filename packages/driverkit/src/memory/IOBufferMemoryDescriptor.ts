import { IOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnBadArgument } from '../IOReturn/IOReturn';
import { IOMemoryDescriptor, type IOAddressSegment, type IOMemoryRange } from './IOMemoryDescriptor';
import { IOSharedMemory, type IOSharedMemoryKind } from './IOSharedMemory';

/**
 * Mirrors `IOBufferMemoryDescriptor`: memory the framework allocates, zeroed, with a length that
 * starts equal to its capacity and may be set lower (`SetLength`).
 *
 * Linux notes: by default the bytes are a process-shared mapping under /dev/shm (page aligned, with a
 * real virtual address), so any buffer can be handed to another process (an app through a user
 * client) as Apple's can; `kind` chooses thread-shared or private memory instead.
 */
export class IOBufferMemoryDescriptor extends IOMemoryDescriptor {
  readonly #memory: IOSharedMemory;
  /** The view GetBytes last made. */
  #bytes: Uint8Array | null = null;
  /** The buffer {@link #bytes} views (null before the first GetBytes). */
  #bytesOf: ArrayBuffer | SharedArrayBuffer | null = null;
  readonly #capacity: number;
  #length: number;
  readonly #ranges: IOMemoryRange[];

  private constructor(direction: bigint, memory: IOSharedMemory, capacity: number) {
    super(direction);
    this.#memory = memory;
    this.#capacity = capacity;
    this.#length = capacity;
    this.#ranges = [{ memory, offset: 0, length: capacity }];
  }

  /**
   * Mirrors `IOBufferMemoryDescriptor::Create(direction, capacity, alignment, &md)`. `alignment` is 0
   * or a power of two up to the page size (process-shared memory is page aligned).
   */
  static Create(direction: bigint | number, capacity: bigint | number, alignment: bigint | number = 0n, kind?: IOSharedMemoryKind): IOBufferMemoryDescriptor {
    const cap = Number(capacity);
    if (!Number.isSafeInteger(cap) || cap <= 0) throw new IOReturnError(kIOReturnBadArgument, `IOBufferMemoryDescriptor capacity must be a positive integer, got ${capacity}`);
    const align = Number(alignment);
    if (align !== 0 && (align & (align - 1)) !== 0) throw new IOReturnError(kIOReturnBadArgument, `alignment must be 0 or a power of two, got ${alignment}`);
    if (align > 4096) throw new IOReturnError(kIOReturnBadArgument, `alignment ${align} exceeds the page size`);
    return new IOBufferMemoryDescriptor(BigInt(direction), IOSharedMemory.allocate(cap, kind), cap);
  }

  /** Wraps existing shared memory (attached from another process or thread) as a descriptor. */
  static withSharedMemory(direction: bigint | number, memory: IOSharedMemory): IOBufferMemoryDescriptor {
    return new IOBufferMemoryDescriptor(BigInt(direction), memory, memory.length);
  }

  ranges(): IOMemoryRange[] {
    return this.#length === this.#capacity ? this.#ranges : [{ memory: this.#memory, offset: 0, length: this.#length }];
  }

  /** Mirrors `IOBufferMemoryDescriptor::SetLength`: at most the capacity. */
  SetLength(length: bigint | number): void {
    const n = Number(length);
    if (!Number.isSafeInteger(n) || n < 0 || n > this.#capacity) {
      throw new IOReturnError(kIOReturnBadArgument, `SetLength: ${length} is outside 0…${this.#capacity} (the capacity)`);
    }
    this.#length = n;
  }

  /** The capacity given at creation. */
  GetCapacity(): bigint {
    return BigInt(this.#capacity);
  }

  /** Mirrors `IOBufferMemoryDescriptor::GetAddressRange`: the address in this process (0 for memory with none) and the length. */
  GetAddressRange(): IOAddressSegment {
    return { address: this.#memory.address ?? 0n, length: BigInt(this.#length) };
  }

  /**
   * The bytes `[0, length)` as a view (Apple's `GetBytesNoCopy`'s pointer). The same view while the
   * length and the memory stay: per-report and per-transfer callers ask for it every time.
   */
  GetBytes(): Uint8Array {
    const buffer = this.#memory.buffer;
    // The view's buffer, kept beside it: `view.buffer` is a slow getter (17 ns against 3 for this check), 7% of a HID report.
    if (this.#bytesOf === buffer && this.#bytes!.length === this.#length) return this.#bytes!;
    this.#bytesOf = buffer;
    return (this.#bytes = new Uint8Array(buffer, 0, this.#length));
  }

  /** The memory behind the buffer: its kind, and for process-shared memory the name another process attaches by. */
  get sharedMemory(): IOSharedMemory {
    return this.#memory;
  }

  override free(): void {
    this.#memory.close();
    super.free();
  }
}
