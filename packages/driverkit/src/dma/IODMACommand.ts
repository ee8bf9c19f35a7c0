import { IOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnBadArgument, kIOReturnBusy, kIOReturnNotReady, kIOReturnOverrun, kIOReturnUnsupported } from '../IOReturn/IOReturn';
import type { IOAddressSegment, IOMemoryDescriptor } from '../memory/IOMemoryDescriptor';
import { pageSize, unwire, wire } from '../native/LinuxNative';
import { OSObject } from '../os/OSObject';
import type { IODMADevice, IODMAMapper } from './IODMAMapper';
import { IOPagemapDMAMapper } from './IOPagemapDMAMapper';

/** Mirrors `kIODMACommandCreateNoOptions`. */
export const kIODMACommandCreateNoOptions = 0n;
/** Mirrors `kIODMACommandPrepareForDMANoOptions`. */
export const kIODMACommandPrepareForDMANoOptions = 0n;
/** Mirrors `kIODMACommandCompleteDMANoOptions`. */
export const kIODMACommandCompleteDMANoOptions = 0n;
/** Mirrors `kIODMACommandSpecificationNoOptions`. */
export const kIODMACommandSpecificationNoOptions = 0n;
/** Mirrors the `PerformOperation` options: copy out of, into, or zero the prepared memory. */
export const kIODMACommandPerformOperationOptionRead = 1n;
export const kIODMACommandPerformOperationOptionWrite = 2n;
export const kIODMACommandPerformOperationOptionZero = 4n;

/** Mirrors `IODMACommandSpecification {options, maxAddressBits}`. */
export interface IODMACommandSpecification {
  options?: bigint;
  /** How many address bits the device drives (32 for a 32-bit DMA engine); 0 means 64. */
  maxAddressBits: bigint | number;
}

/** What `PrepareForDMA` returns in Apple's out-parameters. */
export interface IODMAPreparation {
  /** The descriptor's direction (`kIOMemoryDirection…`), as Apple returns in `flags`. */
  flags: bigint;
  segments: IOAddressSegment[];
}

/** Apple's `IOAddressSegment segments[32]`. */
export const kIODMACommandMaxSegments = 32;

interface Prepared {
  memory: IOMemoryDescriptor;
  offset: number;
  length: number;
  mapper: IODMAMapper;
  segments: IOAddressSegment[];
  wired: { address: bigint; length: number }[];
}

function toSafe(v: bigint | number, what: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new IOReturnError(kIOReturnBadArgument, `${what} must be a non-negative integer, got ${v}`);
  return n;
}

/**
 * Mirrors `IODMACommand`: prepares a memory descriptor for a device's DMA by wiring its pages and
 * translating them to device addresses, one preparation at a time.
 *
 * Linux notes: only memory with a fixed virtual address can be wired, that is process-shared memory
 * (the default kind of IOBufferMemoryDescriptor); the addresses come from the device's own mapper
 * when it has one (an IOMMU through VFIO, supplied by the family) or else are physical, from
 * /proc/self/pagemap, which needs root. Each failure says which of these was unavailable.
 */
export class IODMACommand extends OSObject {
  readonly #mapper: IODMAMapper;
  readonly #maxAddressBits: number;
  #prepared: Prepared | null = null;

  private constructor(mapper: IODMAMapper, maxAddressBits: number) {
    super();
    this.#mapper = mapper;
    this.#maxAddressBits = maxAddressBits;
  }

  /**
   * Mirrors `IODMACommand::Create(device, options, specification, &command)`. The device's
   * `CopyDMAMapper()`, when it has one, decides what addresses segments hold.
   */
  static Create(device: IODMADevice | null, options: bigint | number, specification: IODMACommandSpecification): IODMACommand {
    if (BigInt(options) !== kIODMACommandCreateNoOptions) throw new IOReturnError(kIOReturnBadArgument, `IODMACommand.Create: unknown options 0x${BigInt(options).toString(16)}`);
    const bits = toSafe(specification.maxAddressBits, 'maxAddressBits');
    if (bits > 64) throw new IOReturnError(kIOReturnBadArgument, `maxAddressBits must be at most 64, got ${bits}`);
    const mapper = device?.CopyDMAMapper?.() ?? new IOPagemapDMAMapper();
    return new IODMACommand(mapper, bits === 0 ? 64 : bits);
  }

  /**
   * Mirrors `PrepareForDMA(options, memory, offset, length, &flags, &segmentsCount, segments)`:
   * wires `length` bytes of `memory` from `offset` (length 0: to its end) and returns their device
   * addresses, physically contiguous pages merged, at most {@link kIODMACommandMaxSegments}.
   * Throws `kIOReturnBusy` while a preparation is outstanding.
   */
  PrepareForDMA(options: bigint | number, memory: IOMemoryDescriptor, offset: bigint | number = 0n, length: bigint | number = 0n): IODMAPreparation {
    if (BigInt(options) !== kIODMACommandPrepareForDMANoOptions) throw new IOReturnError(kIOReturnBadArgument, `PrepareForDMA: unknown options 0x${BigInt(options).toString(16)}`);
    if (this.#prepared) throw new IOReturnError(kIOReturnBusy, 'PrepareForDMA: this command is already prepared; call CompleteDMA first');
    const total = Number(memory.GetLength());
    const start = toSafe(offset, 'offset');
    const len = toSafe(length, 'length') || total - start;
    if (start + len > total || len === 0) throw new IOReturnError(kIOReturnBadArgument, `PrepareForDMA: ${start}+${len} is outside the descriptor's ${total} bytes`);

    const page = pageSize();
    const wired: Prepared['wired'] = [];
    const segments: IOAddressSegment[] = [];
    try {
      let skip = start;
      let left = len;
      for (const range of memory.ranges()) {
        if (left === 0) break;
        if (skip >= range.length) {
          skip -= range.length;
          continue;
        }
        const take = Math.min(range.length - skip, left);
        if (range.memory.kind !== 'process' || range.memory.address === null || range.memory.isClosed()) {
          throw new IOReturnError(kIOReturnUnsupported, `PrepareForDMA: ${range.memory.kind} memory has no fixed address to give a device; create the buffer with IOBufferMemoryDescriptor.Create(…, 'process')`);
        }
        const begin = range.memory.address + BigInt(range.offset + skip);
        const pageStart = begin - (begin % BigInt(page));
        const head = Number(begin - pageStart);
        const span = Math.ceil((head + take) / page) * page;
        wire(pageStart, span);
        wired.push({ address: pageStart, length: span });
        const mapped = this.#mapper.map(pageStart, span);
        trim(mapped, head, span - head - take);
        segments.push(...mapped);
        skip = 0;
        left -= take;
      }
      const merged = merge(segments);
      this.#checkLimits(merged);
      this.#prepared = { memory: memory.retain(), offset: start, length: len, mapper: this.#mapper, segments: merged, wired };
      return { flags: memory.GetDirection(), segments: merged.map((s) => ({ ...s })) };
    } catch (e) {
      for (const w of wired) unwire(w.address, w.length);
      throw e;
    }
  }

  #checkLimits(segments: IOAddressSegment[]): void {
    if (segments.length > kIODMACommandMaxSegments) {
      throw new IOReturnError(kIOReturnOverrun, `PrepareForDMA: the memory needs ${segments.length} segments, more than Apple's ${kIODMACommandMaxSegments}; prepare a shorter range`);
    }
    if (this.#maxAddressBits < 64) {
      const limit = 1n << BigInt(this.#maxAddressBits);
      const high = segments.find((s) => s.address + s.length > limit);
      if (high) {
        throw new IOReturnError(kIOReturnUnsupported, `PrepareForDMA: ${this.#mapper.description} address 0x${high.address.toString(16)} is beyond the device's ${this.#maxAddressBits} address bits (bounce buffers are not supported)`);
      }
    }
  }

  /** Mirrors `CompleteDMA(options)`: unwires the memory. `kIOReturnNotReady` when not prepared. */
  CompleteDMA(options: bigint | number = kIODMACommandCompleteDMANoOptions): void {
    if (BigInt(options) !== kIODMACommandCompleteDMANoOptions) throw new IOReturnError(kIOReturnBadArgument, `CompleteDMA: unknown options 0x${BigInt(options).toString(16)}`);
    const p = this.#take();
    p.mapper.unmap?.(p.segments);
    for (const w of p.wired) unwire(w.address, w.length);
    p.memory.release();
  }

  /** Mirrors `GetPreparation(&offset, &length, &memory)`; the memory is retained for the caller. */
  GetPreparation(): { offset: bigint; length: bigint; memory: IOMemoryDescriptor } {
    const p = this.#need('GetPreparation');
    return { offset: BigInt(p.offset), length: BigInt(p.length), memory: p.memory.retain() };
  }

  /**
   * Mirrors `PerformOperation(options, dmaOffset, length, dataOffset, data)`: with
   * `…OptionRead` copies `length` bytes of the prepared memory at `dmaOffset` into `data` at
   * `dataOffset`; with `…OptionWrite` the other way; with `…OptionZero` zeroes them (`data` unused).
   */
  PerformOperation(options: bigint | number, dmaOffset: bigint | number, length: bigint | number, dataOffset: bigint | number = 0n, data: IOMemoryDescriptor | null = null): void {
    const p = this.#need('PerformOperation');
    const op = BigInt(options);
    const at = toSafe(dmaOffset, 'dmaOffset');
    const n = toSafe(length, 'length');
    const dataAt = toSafe(dataOffset, 'dataOffset');
    if (at + n > p.length) throw new IOReturnError(kIOReturnBadArgument, `PerformOperation: ${at}+${n} is outside the ${p.length} prepared bytes`);
    const from = p.offset + at;
    if (op === kIODMACommandPerformOperationOptionZero) {
      p.memory.writeBytes(from, new Uint8Array(n));
      return;
    }
    if (op !== kIODMACommandPerformOperationOptionRead && op !== kIODMACommandPerformOperationOptionWrite) {
      throw new IOReturnError(kIOReturnBadArgument, `PerformOperation: options must be exactly one of Read (1), Write (2) or Zero (4), got ${op}`);
    }
    if (!data) throw new IOReturnError(kIOReturnBadArgument, 'PerformOperation: Read and Write need a data descriptor');
    if (op === kIODMACommandPerformOperationOptionRead) data.writeBytes(dataAt, p.memory.readBytes(from, n));
    else p.memory.writeBytes(from, data.readBytes(dataAt, n));
  }

  #need(what: string): Prepared {
    if (!this.#prepared) throw new IOReturnError(kIOReturnNotReady, `${what}: this command is not prepared (call PrepareForDMA first)`);
    return this.#prepared;
  }

  #take(): Prepared {
    const p = this.#need('CompleteDMA');
    this.#prepared = null;
    return p;
  }

  override free(): void {
    if (this.#prepared) this.CompleteDMA();
    super.free();
  }
}

/** Drops `head` bytes from the first segment and `tail` bytes from the last (mappers work in pages). */
function trim(segments: IOAddressSegment[], head: number, tail: number): void {
  const first = segments[0];
  first.address += BigInt(head);
  first.length -= BigInt(head);
  segments[segments.length - 1].length -= BigInt(tail);
}

function merge(segments: IOAddressSegment[]): IOAddressSegment[] {
  const out: IOAddressSegment[] = [];
  for (const s of segments) {
    const last = out[out.length - 1];
    if (last && last.address + last.length === s.address) last.length += s.length;
    else out.push({ ...s });
  }
  return out;
}
