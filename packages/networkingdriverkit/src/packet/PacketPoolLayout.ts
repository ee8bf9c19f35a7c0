import { IODataQueueRing, IOReturnError, kIOReturnBadArgument } from '@driverkit/driverkit';

/**
 * How a packet buffer pool lies in its shared memory, read the same way by the driver that made it
 * and the host (the kernel side) that attaches it:
 *
 * | offset | what |
 * |---|---|
 * | 0 | header: magic 'DKNP', packetCount, bufferSize, descriptor, free-ring and buffer offsets |
 * | 64 | one 16-byte descriptor per packet: u32 dataLength, u16 dataOffset, u8 headroom, u8 linkHeaderLength, u32 flags, u32 reserved |
 * | free ring | an IODataQueue of packet indices the driver gives back (DeallocatePacket) |
 * | buffers (page aligned) | packetCount buffers of bufferSize bytes; packet i owns buffer i |
 *
 * The host never trusts what it reads here: every index and length is checked before use.
 * @internal
 */
export class PacketPoolLayout {
  static readonly MAGIC = 0x504e_4b44; // 'DKNP'
  static readonly HEADER = 64;
  static readonly DESCRIPTOR = 16;
  static readonly PAGE = 4096;
  /** Largest packet count and buffer size a pool may have. */
  static readonly MAX_PACKETS = 65536;
  static readonly MAX_BUFFER = 65536;

  readonly descriptorOffset = PacketPoolLayout.HEADER;
  readonly freeRingOffset: number;
  readonly freeRingCapacity: number;
  readonly bufferOffset: number;
  readonly length: number;

  constructor(
    readonly packetCount: number,
    readonly bufferSize: number,
  ) {
    if (!Number.isInteger(packetCount) || packetCount < 1 || packetCount > PacketPoolLayout.MAX_PACKETS) {
      throw new IOReturnError(kIOReturnBadArgument, `a packet pool holds 1–${PacketPoolLayout.MAX_PACKETS} packets, not ${packetCount}`);
    }
    if (!Number.isInteger(bufferSize) || bufferSize < 64 || bufferSize > PacketPoolLayout.MAX_BUFFER) {
      throw new IOReturnError(kIOReturnBadArgument, `a packet buffer is 64–${PacketPoolLayout.MAX_BUFFER} bytes, not ${bufferSize}`);
    }
    this.freeRingOffset = this.descriptorOffset + packetCount * PacketPoolLayout.DESCRIPTOR;
    // Every packet can be in the free ring at once, each entry 4 + 4 bytes, plus the gap a full ring keeps.
    this.freeRingCapacity = packetCount * 8 + 8;
    this.bufferOffset = roundUp(this.freeRingOffset + 128 + this.freeRingCapacity, PacketPoolLayout.PAGE);
    this.length = this.bufferOffset + packetCount * bufferSize;
  }

  /** Writes the header (the creator does, once). */
  format(buffer: ArrayBuffer | SharedArrayBuffer): IODataQueueRing {
    const h = new Uint32Array(buffer, 0, 8);
    h[0] = PacketPoolLayout.MAGIC;
    h[1] = this.packetCount;
    h[2] = this.bufferSize;
    h[3] = this.descriptorOffset;
    h[4] = this.freeRingOffset;
    h[5] = this.bufferOffset;
    const ring = new IODataQueueRing(buffer, this.freeRingCapacity, this.freeRingOffset);
    ring.format();
    return ring;
  }

  /** The layout another process wrote into `buffer`, checked against the memory's size. */
  static read(buffer: ArrayBuffer | SharedArrayBuffer): { layout: PacketPoolLayout; freeRing: IODataQueueRing } {
    if (buffer.byteLength < PacketPoolLayout.HEADER) throw new IOReturnError(kIOReturnBadArgument, 'the memory is too small for a packet pool');
    const h = new Uint32Array(buffer, 0, 8);
    if (h[0] !== PacketPoolLayout.MAGIC) throw new IOReturnError(kIOReturnBadArgument, 'the memory does not hold a packet pool made by IOUserNetworkPacketBufferPool.Create');
    const layout = new PacketPoolLayout(h[1]!, h[2]!);
    if (h[3] !== layout.descriptorOffset || h[4] !== layout.freeRingOffset || h[5] !== layout.bufferOffset || layout.length > buffer.byteLength) {
      throw new IOReturnError(kIOReturnBadArgument, `the packet pool's header does not match its size (${buffer.byteLength} bytes for ${h[1]} packets of ${h[2]})`);
    }
    return { layout, freeRing: new IODataQueueRing(buffer, layout.freeRingCapacity, layout.freeRingOffset) };
  }
}

function roundUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}
