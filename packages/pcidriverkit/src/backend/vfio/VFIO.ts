// The Linux VFIO user-space API (include/uapi/linux/vfio.h) as this backend uses it: ioctl numbers
// (_IO(';', 100 + n), no size encoded) and the layouts of the structures they take.

const VFIO_TYPE = 0x3b;
const io = (nr: number) => (VFIO_TYPE << 8) | (100 + nr);

export const VFIO_API_VERSION = 0;
export const VFIO_GET_API_VERSION = io(0);
export const VFIO_CHECK_EXTENSION = io(1);
export const VFIO_SET_IOMMU = io(2);
export const VFIO_GROUP_GET_STATUS = io(3);
export const VFIO_GROUP_SET_CONTAINER = io(4);
export const VFIO_GROUP_UNSET_CONTAINER = io(5);
export const VFIO_GROUP_GET_DEVICE_FD = io(6);
export const VFIO_DEVICE_GET_INFO = io(7);
export const VFIO_DEVICE_GET_REGION_INFO = io(8);
export const VFIO_DEVICE_GET_IRQ_INFO = io(9);
export const VFIO_DEVICE_SET_IRQS = io(10);
export const VFIO_DEVICE_RESET = io(11);

/** The IOMMU type of a group with no IOMMU (`enable_unsafe_noiommu_mode`): DMA takes physical addresses. */
export const VFIO_NOIOMMU_IOMMU = 8;

export const VFIO_GROUP_FLAGS_VIABLE = 1 << 0;
export const VFIO_DEVICE_FLAGS_RESET = 1 << 0;
export const VFIO_REGION_INFO_FLAG_READ = 1 << 0;
export const VFIO_REGION_INFO_FLAG_WRITE = 1 << 1;
export const VFIO_REGION_INFO_FLAG_MMAP = 1 << 2;

export const VFIO_PCI_BAR0_REGION_INDEX = 0;
export const VFIO_PCI_ROM_REGION_INDEX = 6;
export const VFIO_PCI_CONFIG_REGION_INDEX = 7;
export const VFIO_PCI_INTX_IRQ_INDEX = 0;
export const VFIO_PCI_MSI_IRQ_INDEX = 1;
export const VFIO_PCI_MSIX_IRQ_INDEX = 2;

export const VFIO_IRQ_SET_DATA_NONE = 1 << 0;
export const VFIO_IRQ_SET_DATA_EVENTFD = 1 << 2;
export const VFIO_IRQ_SET_ACTION_TRIGGER = 1 << 5;

/** `struct vfio_group_status { u32 argsz, flags; }` */
export function groupStatus(): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setUint32(0, 8, true);
  return b;
}

/** `struct vfio_device_info { u32 argsz, flags, num_regions, num_irqs; }` (the fields before capabilities). */
export function deviceInfo(): Uint8Array {
  const b = new Uint8Array(16);
  new DataView(b.buffer).setUint32(0, 16, true);
  return b;
}

/** `struct vfio_region_info { u32 argsz, flags, index, cap_offset; u64 size, offset; }` */
export function regionInfo(index: number): Uint8Array {
  const b = new Uint8Array(32);
  const v = new DataView(b.buffer);
  v.setUint32(0, 32, true);
  v.setUint32(8, index, true);
  return b;
}

/** `struct vfio_irq_info { u32 argsz, flags, index, count; }` */
export function irqInfo(index: number): Uint8Array {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setUint32(0, 16, true);
  v.setUint32(8, index, true);
  return b;
}

/** `struct vfio_irq_set { u32 argsz, flags, index, start, count; u8 data[]; }` with one eventfd per vector. */
export function irqSet(index: number, eventfds: number[]): Uint8Array {
  const b = new Uint8Array(20 + eventfds.length * 4);
  const v = new DataView(b.buffer);
  v.setUint32(0, b.length, true);
  v.setUint32(4, eventfds.length ? VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER : VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, true);
  v.setUint32(8, index, true);
  v.setUint32(12, 0, true);
  v.setUint32(16, eventfds.length, true);
  eventfds.forEach((fd, i) => v.setInt32(20 + i * 4, fd, true));
  return b;
}

export const VFIO_TYPE1v2_IOMMU = 3;
export const VFIO_IOMMU_MAP_DMA = io(13);
export const VFIO_IOMMU_UNMAP_DMA = io(14);
const VFIO_DMA_MAP_FLAG_READ = 1 << 0;
const VFIO_DMA_MAP_FLAG_WRITE = 1 << 1;

/** `struct vfio_iommu_type1_dma_map { u32 argsz, flags; u64 vaddr, iova, size; }`, readable and writable by the device. */
export function dmaMap(vaddr: bigint, iova: bigint, size: bigint): Uint8Array {
  const b = new Uint8Array(32);
  const v = new DataView(b.buffer);
  v.setUint32(0, 32, true);
  v.setUint32(4, VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE, true);
  v.setBigUint64(8, vaddr, true);
  v.setBigUint64(16, iova, true);
  v.setBigUint64(24, size, true);
  return b;
}

/** `struct vfio_iommu_type1_dma_unmap { u32 argsz, flags; u64 iova, size; }` */
export function dmaUnmap(iova: bigint, size: bigint): Uint8Array {
  const b = new Uint8Array(24);
  const v = new DataView(b.buffer);
  v.setUint32(0, 24, true);
  v.setBigUint64(8, iova, true);
  v.setBigUint64(16, size, true);
  return b;
}
