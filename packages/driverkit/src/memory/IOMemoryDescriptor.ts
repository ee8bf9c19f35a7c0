import { IOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnBadArgument, kIOReturnNotWritable, kIOReturnUnsupported } from '../IOReturn/IOReturn';
import { OSObject } from '../os/OSObject';
import type { IOSharedMemory } from './IOSharedMemory';
import { IOMemoryMap } from './IOMemoryMap';

/** Mirrors the memory direction constants (`kIOMemoryDirection…`). */
export const kIOMemoryDirectionNone = 0n;
export const kIOMemoryDirectionIn = 1n;
export const kIOMemoryDirectionOut = 2n;
export const kIOMemoryDirectionInOut = 3n;
export const kIOMemoryDirectionOutIn = 3n;
export const kIOMemoryDisableCopyOnWrite = 0x10n;
/** Mirrors the `CreateMapping` options. */
export const kIOMemoryMapFixedAddress = 1n;
export const kIOMemoryMapReadOnly = 2n;
export const kIOMemoryMapCacheModeDefault = 0n;
export const kIOMemoryMapCacheModeInhibit = 0x100n;
export const kIOMemoryMapCacheModeCopyback = 0x200n;
export const kIOMemoryMapCacheModeWriteThrough = 0x400n;
export const kIOMemoryMapCacheModeRealTime = 0x800n;

/** Mirrors `IOAddressSegment`. */
export interface IOAddressSegment {
  address: bigint;
  length: bigint;
}

/** One contiguous piece of a descriptor: a range of a shared memory. @internal */
export interface IOMemoryRange {
  readonly memory: IOSharedMemory;
  readonly offset: number;
  readonly length: number;
}

/** Apple's limit for `CreateWithMemoryDescriptors`. */
const MAX_DESCRIPTORS = 32;

function toNumber(v: bigint | number, what: string): number {
  const n = typeof v === 'bigint' ? Number(v) : v;
  if (!Number.isSafeInteger(n) || n < 0) throw new IOReturnError(kIOReturnBadArgument, `${what} must be a non-negative integer, got ${v}`);
  return n;
}

/** The bytes `ranges` cover (a descriptor's ranges are taken once per call: a buffer cut short makes them anew). */
function total(ranges: readonly IOMemoryRange[]): number {
  let n = 0;
  for (let i = 0; i < ranges.length; i++) n += ranges[i]!.length;
  return n;
}

function check(ranges: readonly IOMemoryRange[], offset: number, length: number, what: string): void {
  const all = total(ranges);
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset > all || length > all - offset) {
    throw new IOReturnError(kIOReturnBadArgument, `${what}: ${length} bytes at offset ${offset} lie outside the descriptor's ${all} bytes`);
  }
}

/**
 * Mirrors `IOMemoryDescriptor`: a list of byte ranges with a direction. Subclasses say where the bytes
 * are; {@link IOBufferMemoryDescriptor} allocates them. All offsets and lengths are checked against
 * the descriptor's length; an access outside it throws `kIOReturnBadArgument`.
 */
export abstract class IOMemoryDescriptor extends OSObject {
  readonly #direction: bigint;

  protected constructor(direction: bigint) {
    super();
    if (direction < 0n || direction > 3n) throw new IOReturnError(kIOReturnBadArgument, `memory direction must be 0 to 3, got ${direction}`);
    this.#direction = direction;
  }

  /** The descriptor's byte ranges, in order. @internal */
  abstract ranges(): IOMemoryRange[];

  /** Mirrors `IOMemoryDescriptor::GetLength`. */
  GetLength(): bigint {
    return BigInt(total(this.ranges()));
  }

  /** The direction given at creation (`kIOMemoryDirection…`). */
  GetDirection(): bigint {
    return this.#direction;
  }

  /**
   * Mirrors `IOMemoryDescriptor::CreateMapping(options, address, offset, length, alignment, &map)`:
   * maps `length` bytes from `offset` (length 0: to the end). `address` must be 0 and `alignment` 0,
   * as Apple requires. The range must lie in one contiguous piece of the descriptor.
   */
  CreateMapping(options: bigint | number = 0n, address: bigint | number = 0n, offset: bigint | number = 0n, length: bigint | number = 0n, alignment: bigint | number = 0n): IOMemoryMap {
    const opts = BigInt(options);
    if (opts & kIOMemoryMapFixedAddress || BigInt(address) !== 0n) {
      throw new IOReturnError(kIOReturnUnsupported, 'CreateMapping: fixed addresses are not supported; pass address 0');
    }
    if (BigInt(alignment) !== 0n) throw new IOReturnError(kIOReturnBadArgument, 'CreateMapping: alignment must be 0');
    const total = Number(this.GetLength());
    const off = toNumber(offset, 'CreateMapping offset');
    let len = toNumber(length, 'CreateMapping length');
    if (len === 0) len = total - off;
    if (off > total || len > total - off || len === 0) {
      throw new IOReturnError(kIOReturnBadArgument, `CreateMapping: ${len} bytes at offset ${off} lie outside the descriptor's ${total} bytes`);
    }
    const piece = this.locate(off, len);
    if (!piece) throw new IOReturnError(kIOReturnUnsupported, `CreateMapping: ${len} bytes at offset ${off} span more than one piece of the descriptor`);
    return IOMemoryMap.create(this, piece.range, piece.offset, len, off, (opts & kIOMemoryMapReadOnly) !== 0n);
  }

  /** Copies `length` bytes from `offset` out of the descriptor (across pieces). */
  readBytes(offset: number, length: number): Uint8Array {
    // One piece (a buffer descriptor, every transfer's): a straight copy, no view per call.
    const ranges = this.ranges();
    check(ranges, offset, length, 'readBytes');
    if (ranges.length === 1) {
      const start = ranges[0]!.offset + offset;
      return ranges[0]!.memory.bytes.slice(start, start + length);
    }
    const out = new Uint8Array(length);
    this.#walk(offset, length, (view, at) => out.set(view, at));
    return out;
  }

  /** Copies `bytes` into the descriptor at `offset` (across pieces). */
  writeBytes(offset: number, bytes: Uint8Array): void {
    const ranges = this.ranges();
    check(ranges, offset, bytes.length, 'writeBytes');
    if (this.#direction === kIOMemoryDirectionOut) {
      throw new IOReturnError(kIOReturnNotWritable, 'writeBytes: the descriptor is kIOMemoryDirectionOut (device reads it)');
    }
    if (ranges.length === 1) ranges[0]!.memory.bytes.set(bytes, ranges[0]!.offset + offset);
    else this.#walk(offset, bytes.length, (view, at) => view.set(bytes.subarray(at, at + view.length)));
  }

  /** Finds the piece holding [offset, offset+length), if one does. @internal */
  locate(offset: number, length: number): { range: IOMemoryRange; offset: number } | null {
    let base = 0;
    for (const r of this.ranges()) {
      if (offset >= base && offset + length <= base + r.length) return { range: r, offset: r.offset + offset - base };
      base += r.length;
    }
    return null;
  }

  #walk(offset: number, length: number, visit: (view: Uint8Array, at: number) => void): void {
    let base = 0;
    let done = 0;
    for (const r of this.ranges()) {
      const start = Math.max(offset + done - base, 0);
      if (done < length && start < r.length) {
        const n = Math.min(r.length - start, length - done);
        visit(new Uint8Array(r.memory.buffer, r.offset + start, n), done);
        done += n;
      }
      base += r.length;
    }
  }

  /** Mirrors `IOMemoryDescriptor::CreateSubMemoryDescriptor(options, offset, length, of, &md)`. */
  static CreateSubMemoryDescriptor(options: bigint | number, offset: bigint | number, length: bigint | number, of: IOMemoryDescriptor): IOMemoryDescriptor {
    const off = toNumber(offset, 'CreateSubMemoryDescriptor offset');
    const len = toNumber(length, 'CreateSubMemoryDescriptor length');
    const total = Number(of.GetLength());
    if (off > total || len > total - off) {
      throw new IOReturnError(kIOReturnBadArgument, `CreateSubMemoryDescriptor: ${len} bytes at offset ${off} lie outside the descriptor's ${total} bytes`);
    }
    const ranges: IOMemoryRange[] = [];
    let base = 0;
    for (const r of of.ranges()) {
      const start = Math.max(off - base, 0);
      const end = Math.min(off + len - base, r.length);
      if (start < end) ranges.push({ memory: r.memory, offset: r.offset + start, length: end - start });
      base += r.length;
    }
    return new IOComposedMemoryDescriptor(BigInt(options) & 3n || of.GetDirection(), ranges, [of]);
  }

  /** Mirrors `IOMemoryDescriptor::CreateWithMemoryDescriptors(options, count, descriptors, &md)`: up to 32, in order. */
  static CreateWithMemoryDescriptors(options: bigint | number, descriptors: IOMemoryDescriptor[]): IOMemoryDescriptor {
    if (descriptors.length === 0 || descriptors.length > MAX_DESCRIPTORS) {
      throw new IOReturnError(kIOReturnBadArgument, `CreateWithMemoryDescriptors takes 1 to ${MAX_DESCRIPTORS} descriptors, got ${descriptors.length}`);
    }
    return new IOComposedMemoryDescriptor(BigInt(options) & 3n, descriptors.flatMap((d) => d.ranges()), descriptors);
  }
}

/** A descriptor over pieces of other descriptors, which it keeps retained. */
class IOComposedMemoryDescriptor extends IOMemoryDescriptor {
  readonly #ranges: IOMemoryRange[];
  readonly #parts: IOMemoryDescriptor[];

  constructor(direction: bigint, ranges: IOMemoryRange[], parts: IOMemoryDescriptor[]) {
    super(direction);
    this.#ranges = ranges;
    this.#parts = parts.map((p) => p.retain());
  }

  ranges(): IOMemoryRange[] {
    return this.#ranges;
  }

  override free(): void {
    for (const p of this.#parts) p.release();
    super.free();
  }
}
