import { LinuxNative, type IOAddressSegment, type IODMAMapper } from '@driverkit/driverkit';
import { IOVAAllocator } from '../../dma/IOVAAllocator';
import { VFIO_IOMMU_MAP_DMA, VFIO_IOMMU_UNMAP_DMA, dmaMap, dmaUnmap } from './VFIO';

/**
 * The IODMAMapper of a function behind a real IOMMU (a VFIO type1 container): each prepared range
 * gets a window of IOVAs, mapped to the driver's wired pages with VFIO_IOMMU_MAP_DMA and unmapped at
 * CompleteDMA. The device can reach nothing else, and IOVAs start low (edu's DMA engine drives 28 bits).
 */
export class VFIOIOMMUMapper implements IODMAMapper {
  readonly description: string;
  readonly #iova: IOVAAllocator;

  constructor(
    readonly container: number,
    name: string,
  ) {
    this.description = `IOVA (VFIO container of ${name})`;
    this.#iova = new IOVAAllocator(this.description);
  }

  map(address: bigint, length: number): IOAddressSegment[] {
    const w = this.#iova.allocate(address, length);
    try {
      LinuxNative.ioctl(this.container, VFIO_IOMMU_MAP_DMA, dmaMap(address, w.iova, w.length));
    } catch (e) {
      this.#iova.free([{ address: w.iova, length: w.length }]);
      throw e;
    }
    return [{ address: w.iova, length: w.length }];
  }

  unmap(segments: IOAddressSegment[]): void {
    for (const w of this.#iova.free(segments)) {
      try {
        LinuxNative.ioctl(this.container, VFIO_IOMMU_UNMAP_DMA, dmaUnmap(w.iova, w.length));
      } catch {
        // The container is gone (the device closed): the kernel dropped its mappings with it.
      }
    }
  }
}
