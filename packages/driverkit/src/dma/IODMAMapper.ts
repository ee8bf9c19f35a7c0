import type { IOAddressSegment } from '../memory/IOMemoryDescriptor';

/**
 * Turns wired virtual memory into the addresses a device uses. The core's default,
 * {@link IOPagemapDMAMapper}, gives physical addresses; a family whose device sits behind an IOMMU
 * (a PCI function bound to vfio-pci) supplies its own through {@link IODMADevice.CopyDMAMapper},
 * giving IOVAs. This is the seam Apple's IOMapper fills in the kernel.
 */
export interface IODMAMapper {
  /** What the addresses are, for messages ("physical (pagemap)", "IOVA (VFIO container 3)"). */
  readonly description: string;
  /**
   * Maps `length` bytes at virtual `address` (already wired, page aligned at both ends) and returns
   * the device-visible segments in order. Throws an IOReturnError naming what is unavailable.
   */
  map(address: bigint, length: number): IOAddressSegment[];
  /** Undoes {@link map} for what it returned (mappers without state may omit it). */
  unmap?(segments: IOAddressSegment[]): void;
}

/**
 * What IODMACommand needs from the device it is created for: an optional mapper. An IOService that
 * is a DMA-capable nub (a PCI function) implements it; any other device gets the default mapper.
 */
export interface IODMADevice {
  CopyDMAMapper?(): IODMAMapper | null;
}
