import { IOSharedMemory, type IOAddressSegment, type IODMAMapper } from '@driverkit/driverkit';
import { IOVAAllocator } from '../../dma/IOVAAllocator';

/**
 * The IOMMU of a virtual PCI function: `IODMACommand.PrepareForDMA` asks it for bus addresses (IOVAs),
 * and the device model turns an IOVA back into the driver's bytes with {@link resolve}. As with a real
 * IOMMU, a device reaches only memory a driver prepared, and only until `CompleteDMA`.
 */
export class VirtualPCIMapper implements IODMAMapper {
  readonly description: string;
  readonly #iova: IOVAAllocator;

  constructor(name: string) {
    this.description = `IOVA (virtual IOMMU of ${name})`;
    this.#iova = new IOVAAllocator(this.description);
  }

  map(address: bigint, length: number): IOAddressSegment[] {
    const w = this.#iova.allocate(address, length);
    return [{ address: w.iova, length: w.length }];
  }

  unmap(segments: IOAddressSegment[]): void {
    this.#iova.free(segments);
  }

  /** The driver's bytes behind `length` bytes at bus address `iova`, or null where nothing is mapped. */
  resolve(iova: bigint, length: number): Uint8Array | null {
    const w = this.#iova.find(iova, length);
    if (!w) return null;
    const found = IOSharedMemory.resolve(w.address + (iova - w.iova), length);
    return found ? new Uint8Array(found.memory.buffer, found.offset, length) : null;
  }

  /** How many windows are mapped (each a prepared IODMACommand). */
  mappedCount(): number {
    return this.#iova.size;
  }
}
