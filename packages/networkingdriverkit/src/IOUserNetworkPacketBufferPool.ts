import { IODataQueueRing, IOReturnError, IOSharedMemory, OSObject, kIOReturnBadArgument, kIOReturnNoResources, kIOReturnSuccess, type IOService } from '@driverkit/driverkit';
import { IOUserNetworkPacket } from './IOUserNetworkPacket';
import { PacketPoolLayout } from './packet/PacketPoolLayout';

/** Mirrors `IOUserNetworkPacketBufferPoolOptions` (the fields this port uses). */
export interface IOUserNetworkPacketBufferPoolOptions {
  packetCount: number;
  bufferCount: number;
  bufferSize: number;
  maxBuffersPerPacket?: number;
  memorySegmentSize?: number;
  poolFlags?: number;
  dmaSpecification?: { maxAddressBits?: number };
}

/** Mirrors `PoolFlagMapToDext`: the pool's buffers are mapped into the driver (always so here). */
export const PoolFlagMapToDext = 0x1;

/**
 * Mirrors `IOUserNetworkPacketBufferPool`: the packets a driver and the networking stack share. The
 * pool's descriptors and buffers live in one process-shared memory the host maps too, so packets cross
 * between the driver and the stack by index, never by copy. Packet i owns buffer i.
 *
 * Packets start out owned by the stack, which hands them to the driver through the queues (empty
 * ones on RX submission, frames on TX submission); {@link DeallocatePacket} gives one back.
 */
export class IOUserNetworkPacketBufferPool extends OSObject {
  readonly name: string;
  readonly layout: PacketPoolLayout;
  readonly memory: IOSharedMemory;
  readonly #packets: IOUserNetworkPacket[];
  readonly #freeRing: IODataQueueRing;
  readonly #scratch = new Uint8Array(4);
  readonly #scratchView = new DataView(this.#scratch.buffer);

  private constructor(name: string, layout: PacketPoolLayout, memory: IOSharedMemory, freeRing: IODataQueueRing) {
    super();
    this.name = name;
    this.layout = layout;
    this.memory = memory;
    this.#freeRing = freeRing;
    const buffer = memory.buffer;
    this.#packets = Array.from({ length: layout.packetCount }, (_, i) => {
      const offset = layout.bufferOffset + i * layout.bufferSize;
      return new IOUserNetworkPacket(this, i, new DataView(buffer, layout.descriptorOffset + i * PacketPoolLayout.DESCRIPTOR, PacketPoolLayout.DESCRIPTOR), new Uint8Array(buffer, offset, layout.bufferSize), offset, memory.address! + BigInt(offset));
    });
  }

  /**
   * Mirrors `IOUserNetworkPacketBufferPool::Create(owner, name, packetCount, bufferCount, bufferSize, &pool)`.
   * This port gives each packet one buffer, so `bufferCount` must be at least `packetCount`.
   */
  static Create(owner: IOService | null, name: string, packetCount: number, bufferCount: number, bufferSize: number): IOUserNetworkPacketBufferPool {
    return IOUserNetworkPacketBufferPool.CreateWithOptions(owner, name, { packetCount, bufferCount, bufferSize, maxBuffersPerPacket: 1 });
  }

  /** Mirrors `IOUserNetworkPacketBufferPool::CreateWithOptions(owner, name, &options, &pool)`. */
  static CreateWithOptions(_owner: IOService | null, name: string, options: IOUserNetworkPacketBufferPoolOptions): IOUserNetworkPacketBufferPool {
    if (typeof name !== 'string' || name.length === 0 || name.length > 1023) throw new IOReturnError(kIOReturnBadArgument, 'IOUserNetworkPacketBufferPool: a pool is named (1–1023 characters)');
    if (options.bufferCount < options.packetCount) {
      throw new IOReturnError(kIOReturnBadArgument, `IOUserNetworkPacketBufferPool ${name}: ${options.bufferCount} buffers cannot back ${options.packetCount} packets (one buffer per packet here)`);
    }
    if ((options.maxBuffersPerPacket ?? 1) !== 1) throw new IOReturnError(kIOReturnBadArgument, `IOUserNetworkPacketBufferPool ${name}: multi-buffer packets are not supported (maxBuffersPerPacket ${options.maxBuffersPerPacket})`);
    const layout = new PacketPoolLayout(options.packetCount, options.bufferSize);
    if (IOSharedMemory.defaultKind() !== 'process') throw new IOReturnError(kIOReturnNoResources, `IOUserNetworkPacketBufferPool ${name}: the pool must be shared with the host, which needs the native calls (koffi) here`);
    const memory = IOSharedMemory.allocate(layout.length, 'process');
    const freeRing = layout.format(memory.buffer);
    return new IOUserNetworkPacketBufferPool(name, layout, memory, freeRing);
  }

  /** The packet at `index` (what a queue entry names). @internal */
  packet(index: number): IOUserNetworkPacket {
    const p = this.#packets[index];
    if (!p) throw new IOReturnError(kIOReturnBadArgument, `packet ${index} is not in pool ${this.name} (${this.#packets.length} packets)`);
    return p;
  }

  /** Mirrors `GetPacketCount`. */
  GetPacketCount(): number {
    return this.layout.packetCount;
  }

  /** Mirrors `GetBufferSize`. */
  GetBufferSize(): number {
    return this.layout.bufferSize;
  }

  /** Mirrors `DeallocatePacket`: gives the packet back to the stack (the host reuses it). */
  DeallocatePacket(packet: IOUserNetworkPacket): number {
    if (packet.GetPacketBufferPool() !== this) return kIOReturnBadArgument;
    this.#scratchView.setUint32(0, packet.index, true);
    return this.#freeRing.enqueue(4, this.#scratch);
  }

  /** Mirrors `DeallocatePackets`: returns how many went back. */
  DeallocatePackets(packets: readonly IOUserNetworkPacket[], count = packets.length): number {
    let n = 0;
    for (let i = 0; i < count; i++) if (this.DeallocatePacket(packets[i]!) === kIOReturnSuccess) n++;
    return n;
  }

  override free(): void {
    this.memory.close();
    super.free();
  }
}
