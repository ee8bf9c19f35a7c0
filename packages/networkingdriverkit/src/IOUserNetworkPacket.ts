import { IOReturnError, kIOReturnBadArgument, kIOReturnSuccess } from '@driverkit/driverkit';
import type { IOUserNetworkPacketBufferPool } from './IOUserNetworkPacketBufferPool';

/**
 * Mirrors `IOUserNetworkPacket`: one packet of a pool, a descriptor (data offset and length, headroom,
 * link-header length) over its buffer. The pool makes one object per packet, once; queues hand the
 * same objects around, so moving packets allocates nothing. Setters check the buffer's bounds and
 * return kIOReturnBadArgument rather than throw, as Apple's return a kern_return_t.
 */
export class IOUserNetworkPacket {
  /** The packet's index in its pool (what queues carry). */
  readonly index: number;
  /** The buffer's address in this process (what a backend copies frames to and sends from). */
  readonly address: bigint;
  readonly #pool: IOUserNetworkPacketBufferPool;
  readonly #descriptor: DataView;
  readonly #buffer: Uint8Array;
  readonly #bufferOffset: number;

  /** @internal (the pool makes its packets) */
  constructor(pool: IOUserNetworkPacketBufferPool, index: number, descriptor: DataView, buffer: Uint8Array, bufferOffset: number, address: bigint) {
    this.#pool = pool;
    this.address = address;
    this.index = index;
    this.#descriptor = descriptor;
    this.#buffer = buffer;
    this.#bufferOffset = bufferOffset;
  }

  #dataAddress = 0n;
  #dataAddressOffset = -1;

  /** The address of the data (buffer + data offset), kept while the offset stays: no BigInt per frame. */
  dataAddress(): bigint {
    const o = this.getDataOffset();
    if (o !== this.#dataAddressOffset) {
      this.#dataAddress = this.address + BigInt(o);
      this.#dataAddressOffset = o;
    }
    return this.#dataAddress;
  }

  /** The whole buffer (Apple's `getDataVirtualAddress()` is its start; the data begins at the data offset). */
  getDataVirtualAddress(): Uint8Array {
    return this.#buffer;
  }

  /** The packet's bytes: `dataLength` bytes from the data offset (a view, valid while the packet is yours). */
  getData(): Uint8Array {
    const o = this.getDataOffset();
    return this.#buffer.subarray(o, o + this.getDataLength());
  }

  /** Mirrors `GetDataLength`. */
  getDataLength(): number {
    return this.#descriptor.getUint32(0, true);
  }

  /** Mirrors `SetDataLength`: the data must fit in the buffer after the data offset. */
  setDataLength(length: number): number {
    if (!Number.isInteger(length) || length < 0 || this.getDataOffset() + length > this.#buffer.length) return kIOReturnBadArgument;
    this.#descriptor.setUint32(0, length, true);
    return kIOReturnSuccess;
  }

  /** Mirrors `GetDataOffset`. */
  getDataOffset(): number {
    return this.#descriptor.getUint16(4, true);
  }

  /** Mirrors `SetDataOffset`. */
  setDataOffset(offset: number): number {
    if (!Number.isInteger(offset) || offset < 0 || offset > 0xffff || offset + this.getDataLength() > this.#buffer.length) return kIOReturnBadArgument;
    this.#descriptor.setUint16(4, offset, true);
    return kIOReturnSuccess;
  }

  /** Mirrors `GetHeadroom`. */
  GetHeadroom(): number {
    return this.#descriptor.getUint8(6);
  }

  /** Mirrors `SetHeadroom`. */
  SetHeadroom(headroom: number): number {
    if (!Number.isInteger(headroom) || headroom < 0 || headroom > 0xff) return kIOReturnBadArgument;
    this.#descriptor.setUint8(6, headroom);
    return kIOReturnSuccess;
  }

  /** Mirrors `GetLinkHeaderLength` (the out-parameter is the return value). */
  GetLinkHeaderLength(): number {
    return this.#descriptor.getUint8(7);
  }

  /** Mirrors `SetLinkHeaderLength`. */
  SetLinkHeaderLength(length: number): number {
    if (!Number.isInteger(length) || length < 0 || length > 0xff) return kIOReturnBadArgument;
    this.#descriptor.setUint8(7, length);
    return kIOReturnSuccess;
  }

  /** Mirrors `GetMemorySegmentOffset`: where the buffer starts in the pool's memory. */
  GetMemorySegmentOffset(): bigint {
    return BigInt(this.#bufferOffset);
  }

  /** Mirrors `GetPacketBufferPool`. */
  GetPacketBufferPool(): IOUserNetworkPacketBufferPool {
    return this.#pool;
  }

  /** Copies `bytes` in as the packet's data at the current data offset; throws when they do not fit. */
  setData(bytes: Uint8Array): void {
    const o = this.getDataOffset();
    if (o + bytes.length > this.#buffer.length) throw new IOReturnError(kIOReturnBadArgument, `${bytes.length} bytes do not fit a ${this.#buffer.length}-byte packet buffer after offset ${o}`);
    this.#buffer.set(bytes, o);
    this.#descriptor.setUint32(0, bytes.length, true);
  }
}
