import { closeSync, openSync } from 'node:fs';
import { IOEventfdInterruptLine, IOReturnError, LinuxNative, kIOReturnNoResources, kIOReturnNotPermitted, kIOReturnUnsupported, type IODMAMapper, type IOInterruptLine, type IOMemoryDescriptor } from '@driverkit/driverkit';
import { decodeBARs } from '../../config/PCIConfigDecode';
import type { PCIConfigReader } from '../../config/PCIConfigSpace';
import { kIOInterruptTypeLevel, kIOInterruptTypePCIMessaged, kIOInterruptTypePCIMessagedX } from '../../PCIDriverKitConstants';
import type { PCIBARAccess, PCIDeviceHandle, PCIFunctionAddress } from '../PCIBackend';
import { readRegister, writeRegister } from '../PCIRegisterIO';
import * as V from './VFIO';
import { VFIOIOMMUMapper } from './VFIOIOMMUMapper';

interface Region {
  size: bigint;
  offset: number;
  flags: number;
}

/**
 * A function bound to vfio-pci, opened in the driver's process: config space and BARs through the
 * device fd (BARs that allow it are mmapped, so MemoryRead/Write are plain loads and stores), MSI and
 * MSI-X vectors as eventfds the kernel signals (VFIO_DEVICE_SET_IRQS), reset with VFIO_DEVICE_RESET.
 *
 * Behind an IOMMU (a type1 container) DMA goes through {@link VFIOIOMMUMapper}: IOVAs mapped to the
 * driver's pages with VFIO_IOMMU_MAP_DMA. In no-IOMMU mode (the `vfio` module loaded with
 * `enable_unsafe_noiommu_mode=1`) DMA takes physical addresses, which the core's pagemap mapper gives,
 * as DPDK and other user-space drivers do without an IOMMU.
 */
export class VFIOPCIDeviceHandle implements PCIDeviceHandle {
  readonly backend = 'vfio';
  readonly configLength: number;
  readonly bars: PCIBARAccess[] = [];
  #container: number;
  #group = -1;
  #device = -1;
  readonly #config: Region;
  readonly #mappings: LinuxNative.SharedMapping[] = [];
  #lines: IOEventfdInterruptLine[] = [];
  #irqIndex = -1;
  #gone = false;
  #mapper: VFIOIOMMUMapper | null = null;
  readonly #scratch = Buffer.alloc(8);

  constructor(
    readonly groupPath: string,
    readonly name: string,
    readonly address: PCIFunctionAddress,
  ) {
    this.#container = openSync('/dev/vfio/vfio', 'r+');
    try {
      const version = LinuxNative.ioctl(this.#container, V.VFIO_GET_API_VERSION, new Uint8Array(8));
      if (version !== V.VFIO_API_VERSION) throw new IOReturnError(kIOReturnUnsupported, `VFIO API version ${version}, expected ${V.VFIO_API_VERSION}`);
      const type1 = LinuxNative.ioctlValue(this.#container, V.VFIO_CHECK_EXTENSION, V.VFIO_TYPE1v2_IOMMU) === 1;
      if (!type1 && LinuxNative.ioctlValue(this.#container, V.VFIO_CHECK_EXTENSION, V.VFIO_NOIOMMU_IOMMU) !== 1) {
        throw new IOReturnError(kIOReturnUnsupported, `${name}: this kernel's VFIO has neither a type1 IOMMU nor no-IOMMU mode (boot with the IOMMU on, e.g. intel_iommu=on, or load vfio with enable_unsafe_noiommu_mode=1)`);
      }
      this.#group = openSync(groupPath, 'r+');
      const status = V.groupStatus();
      LinuxNative.ioctl(this.#group, V.VFIO_GROUP_GET_STATUS, status);
      if (!(new DataView(status.buffer).getUint32(4, true) & V.VFIO_GROUP_FLAGS_VIABLE)) throw new IOReturnError(kIOReturnNotPermitted, `${groupPath} is not viable: bind every function of its IOMMU group to vfio-pci`);
      const fd = new Uint8Array(4);
      new DataView(fd.buffer).setInt32(0, this.#container, true);
      LinuxNative.ioctl(this.#group, V.VFIO_GROUP_SET_CONTAINER, fd);
      LinuxNative.ioctlValue(this.#container, V.VFIO_SET_IOMMU, type1 ? V.VFIO_TYPE1v2_IOMMU : V.VFIO_NOIOMMU_IOMMU);
      this.#mapper = type1 ? new VFIOIOMMUMapper(this.#container, name) : null;
      this.#device = LinuxNative.ioctl(this.#group, V.VFIO_GROUP_GET_DEVICE_FD, new Uint8Array(Buffer.from(`${name}\0`)));
      this.#config = this.#region(V.VFIO_PCI_CONFIG_REGION_INDEX);
      this.configLength = Math.min(Number(this.#config.size), 4096);
      this.#mapBARs();
    } catch (e) {
      this.close();
      throw e;
    }
  }

  #region(index: number): Region {
    const info = V.regionInfo(index);
    LinuxNative.ioctl(this.#device, V.VFIO_DEVICE_GET_REGION_INFO, info);
    const v = new DataView(info.buffer);
    return { flags: v.getUint32(4, true), size: v.getBigUint64(16, true), offset: Number(v.getBigUint64(24, true)) };
  }

  #mapBARs(): void {
    const snapshot: PCIConfigReader = { configLength: 64, read8: (o) => this.read8(o), read16: (o) => this.read16(o), read32: (o) => this.read32(o) };
    for (const bar of decodeBARs(snapshot)) {
      const region = this.#region(bar.index);
      if (region.size === 0n) continue;
      let view: DataView | null = null;
      if (bar.space === 'memory' && region.flags & V.VFIO_REGION_INFO_FLAG_MMAP) {
        const mapping = LinuxNative.mapShared(this.#device, Number(region.size), false, region.offset);
        this.#mappings.push(mapping);
        view = new DataView(mapping.buffer);
      }
      this.bars.push({
        size: region.size,
        view,
        read: (offset, width) => this.#pread(region.offset + offset, width),
        write: (offset, width, value) => this.#pwrite(region.offset + offset, width, value),
        copyMemoryDescriptor: (): IOMemoryDescriptor | null => null,
      });
    }
  }

  #pread(position: number, width: 1 | 2 | 4 | 8): number | bigint {
    const ones = width === 8 ? 0xffffffffffffffffn : 2 ** (8 * width) - 1;
    if (this.#gone || this.#device < 0) return ones;
    try {
      return readRegister(this.#device, this.#scratch, position, width) ?? ones;
    } catch {
      this.#gone = true;
      return ones;
    }
  }

  #pwrite(position: number, width: 1 | 2 | 4 | 8, value: number | bigint): void {
    if (this.#gone || this.#device < 0) return;
    try {
      writeRegister(this.#device, this.#scratch, position, width, value);
    } catch {
      this.#gone = true;
    }
  }

  read8(offset: number): number {
    return Number(this.#pread(this.#config.offset + offset, 1));
  }

  read16(offset: number): number {
    return Number(this.#pread(this.#config.offset + offset, 2));
  }

  read32(offset: number): number {
    return Number(this.#pread(this.#config.offset + offset, 4));
  }

  configWrite8(offset: number, value: number): void {
    this.#pwrite(this.#config.offset + offset, 1, value);
  }

  configWrite16(offset: number, value: number): void {
    this.#pwrite(this.#config.offset + offset, 2, value);
  }

  configWrite32(offset: number, value: number): void {
    this.#pwrite(this.#config.offset + offset, 4, value);
  }

  configureInterrupts(type: number, min: number, max: number): number {
    if (type === kIOInterruptTypeLevel) throw new IOReturnError(kIOReturnUnsupported, `${this.name}: INTx through VFIO is not supported (it needs an unmask after every interrupt); use MSI or MSI-X`);
    const index = type === kIOInterruptTypePCIMessaged ? V.VFIO_PCI_MSI_IRQ_INDEX : type === kIOInterruptTypePCIMessagedX ? V.VFIO_PCI_MSIX_IRQ_INDEX : -1;
    if (index < 0) throw new IOReturnError(kIOReturnUnsupported, `interrupt type 0x${type.toString(16)} is none of kIOInterruptTypeLevel, …PCIMessaged, …PCIMessagedX`);
    const info = V.irqInfo(index);
    LinuxNative.ioctl(this.#device, V.VFIO_DEVICE_GET_IRQ_INFO, info);
    const capable = new DataView(info.buffer).getUint32(12, true);
    if (capable === 0) throw new IOReturnError(kIOReturnUnsupported, `${this.name} has no ${index === V.VFIO_PCI_MSI_IRQ_INDEX ? 'MSI' : 'MSI-X'} capability`);
    let n = 1;
    const limit = Math.min(max, capable);
    if (index === V.VFIO_PCI_MSI_IRQ_INDEX) while (n * 2 <= limit) n *= 2;
    else n = limit;
    if (n < min) throw new IOReturnError(kIOReturnNoResources, `${min} vectors required, ${this.name} offers ${capable}`);
    this.#disableInterrupts();
    const lines = Array.from({ length: n }, () => new IOEventfdInterruptLine());
    try {
      LinuxNative.ioctl(this.#device, V.VFIO_DEVICE_SET_IRQS, V.irqSet(index, lines.map((l) => l.fd)));
    } catch (e) {
      for (const l of lines) l.close();
      throw e;
    }
    this.#lines = lines;
    this.#irqIndex = index;
    return n;
  }

  #disableInterrupts(): void {
    if (this.#irqIndex >= 0 && this.#device >= 0) {
      try {
        LinuxNative.ioctl(this.#device, V.VFIO_DEVICE_SET_IRQS, V.irqSet(this.#irqIndex, []));
      } catch {
        // the device is gone; its vectors with it
      }
    }
    for (const l of this.#lines) l.close();
    this.#lines = [];
    this.#irqIndex = -1;
  }

  interruptLine(index: number): IOInterruptLine | null {
    return index >= 1 ? (this.#lines[index - 1] ?? null) : null;
  }

  reset(): void {
    LinuxNative.ioctl(this.#device, V.VFIO_DEVICE_RESET, new Uint8Array(8));
  }

  dmaMapper(): IODMAMapper | null {
    return this.#mapper;
  }

  isGone(): boolean {
    return this.#gone;
  }

  close(): void {
    this.#disableInterrupts();
    for (const m of this.#mappings.splice(0)) LinuxNative.unmap(m);
    for (const fd of [this.#device, this.#group, this.#container]) if (fd >= 0) closeSync(fd);
    this.#device = this.#group = this.#container = -1;
  }
}
