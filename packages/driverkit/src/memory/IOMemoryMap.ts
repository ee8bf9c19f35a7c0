import { IOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnBadArgument, kIOReturnNotWritable } from '../IOReturn/IOReturn';
import { OSObject } from '../os/OSObject';
import type { IOMemoryDescriptor, IOMemoryRange } from './IOMemoryDescriptor';

/**
 * Mirrors `IOMemoryMap`: a mapping of part of a memory descriptor into this process. Besides Apple's
 * `GetAddress`/`GetLength`/`GetOffset`, it gives the bytes to JavaScript as a `Uint8Array` or a
 * `DataView` bounded to the mapping, plus checked `read`/`write`. The mapping keeps its descriptor
 * retained.
 *
 * Linux notes: JavaScript cannot make memory read-only, so a `kIOMemoryMapReadOnly` mapping refuses
 * `write` but its `GetBytes()` view is writable: use `read` where the guarantee matters.
 */
export class IOMemoryMap extends OSObject {
  readonly #descriptor: IOMemoryDescriptor;
  readonly #range: IOMemoryRange;
  readonly #start: number;
  readonly #length: number;
  readonly #offset: number;
  readonly #readOnly: boolean;

  private constructor(descriptor: IOMemoryDescriptor, range: IOMemoryRange, start: number, length: number, offset: number, readOnly: boolean) {
    super();
    this.#descriptor = descriptor.retain();
    this.#range = range;
    this.#start = start;
    this.#length = length;
    this.#offset = offset;
    this.#readOnly = readOnly;
  }

  /** @internal */
  static create(descriptor: IOMemoryDescriptor, range: IOMemoryRange, start: number, length: number, offset: number, readOnly: boolean): IOMemoryMap {
    return new IOMemoryMap(descriptor, range, start, length, offset, readOnly);
  }

  /** Mirrors `IOMemoryMap::GetAddress`: the virtual address in this process (0 for memory with none). */
  GetAddress(): bigint {
    const base = this.#range.memory.address;
    return base === null ? 0n : base + BigInt(this.#start);
  }

  /** Mirrors `IOMemoryMap::GetLength`. */
  GetLength(): bigint {
    return BigInt(this.#length);
  }

  /** Mirrors `IOMemoryMap::GetOffset`: where in the descriptor the mapping starts. */
  GetOffset(): bigint {
    return BigInt(this.#offset);
  }

  /** True for a `kIOMemoryMapReadOnly` mapping. */
  isReadOnly(): boolean {
    return this.#readOnly;
  }

  /** The mapped bytes, as a view bounded to the mapping. */
  GetBytes(): Uint8Array {
    return new Uint8Array(this.#range.memory.buffer, this.#start, this.#length);
  }

  /** The mapped bytes, as a DataView bounded to the mapping (multi-byte values in any endianness). */
  GetDataView(): DataView {
    return new DataView(this.#range.memory.buffer, this.#start, this.#length);
  }

  /** Copies `length` bytes at `offset` (relative to the mapping). */
  read(offset: number, length: number): Uint8Array {
    this.#check(offset, length, 'read');
    return this.GetBytes().slice(offset, offset + length);
  }

  /** Copies `bytes` into the mapping at `offset`. */
  write(offset: number, bytes: Uint8Array): void {
    if (this.#readOnly) throw new IOReturnError(kIOReturnNotWritable, 'write: the mapping is kIOMemoryMapReadOnly');
    this.#check(offset, bytes.length, 'write');
    this.GetBytes().set(bytes, offset);
  }

  #check(offset: number, length: number, what: string): void {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset > this.#length || length > this.#length - offset) {
      throw new IOReturnError(kIOReturnBadArgument, `${what}: ${length} bytes at offset ${offset} lie outside the mapping's ${this.#length} bytes`);
    }
  }

  override free(): void {
    this.#descriptor.release();
    super.free();
  }
}
