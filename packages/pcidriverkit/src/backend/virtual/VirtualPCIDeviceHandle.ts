import { IOBufferMemoryDescriptor, IOReturnError, kIOMemoryDirectionInOut, kIOReturnNoResources, kIOReturnUnsupported, type IODMAMapper, type IOInterruptLine, type IOMemoryDescriptor } from '@driverkit/driverkit';
import { kIOInterruptTypeLevel, kIOInterruptTypePCIMessaged, kIOInterruptTypePCIMessagedX } from '../../PCIDriverKitConstants';
import type { PCIBARAccess, PCIDeviceHandle } from '../PCIBackend';
import type { VirtualPCIDevice } from './VirtualPCIDevice';
import { VirtualPCIMapper } from './VirtualPCIMapper';

function readView(view: DataView, offset: number, width: 1 | 2 | 4 | 8): number | bigint {
  return width === 1 ? view.getUint8(offset) : width === 2 ? view.getUint16(offset, true) : width === 4 ? view.getUint32(offset, true) : view.getBigUint64(offset, true);
}

function writeView(view: DataView, offset: number, width: 1 | 2 | 4 | 8, value: number | bigint): void {
  if (width === 8) view.setBigUint64(offset, BigInt(value), true);
  else if (width === 4) view.setUint32(offset, Number(value) >>> 0, true);
  else if (width === 2) view.setUint16(offset, Number(value) & 0xffff, true);
  else view.setUint8(offset, Number(value) & 0xff);
}

/** An open virtual PCI function: the model's config space, BARs, interrupt lines and IOMMU. */
export class VirtualPCIDeviceHandle implements PCIDeviceHandle {
  readonly backend = 'virtual';
  readonly bars: PCIBARAccess[];
  readonly configLength: number;
  readonly #mapper: VirtualPCIMapper;
  #vectors = 0;
  #gone = false;

  constructor(
    readonly model: VirtualPCIDevice,
    name: string,
  ) {
    this.configLength = model.config.length;
    this.#mapper = new VirtualPCIMapper(name);
    model.mapper = this.#mapper;
    this.bars = [];
    model.bars.forEach((bar, index) => {
      if (!bar) return;
      const memory = model.barMemory(index);
      const view = memory ? new DataView(memory.buffer) : null;
      this.bars.push({
        size: BigInt(bar.size),
        view,
        read: view ? (offset, width) => readView(view, offset, width) : (offset, width) => model.mmioRead(index, offset, width),
        write: view ? (offset, width, value) => writeView(view, offset, width, value) : (offset, width, value) => model.mmioWrite(index, offset, width, value),
        copyMemoryDescriptor: (): IOMemoryDescriptor | null => (memory ? IOBufferMemoryDescriptor.withSharedMemory(kIOMemoryDirectionInOut, memory) : null),
      });
    });
  }

  read8(offset: number): number {
    return this.#gone ? 0xff : this.model.configRead(offset, 1);
  }

  read16(offset: number): number {
    return this.#gone ? 0xffff : this.model.configRead(offset, 2);
  }

  read32(offset: number): number {
    return this.#gone ? 0xffffffff : this.model.configRead(offset, 4);
  }

  configWrite8(offset: number, value: number): void {
    if (!this.#gone) this.model.configWrite(offset, 1, value);
  }

  configWrite16(offset: number, value: number): void {
    if (!this.#gone) this.model.configWrite(offset, 2, value);
  }

  configWrite32(offset: number, value: number): void {
    if (!this.#gone) this.model.configWrite(offset, 4, value);
  }

  configureInterrupts(type: number, min: number, max: number): number {
    const m = this.model;
    const msi = m.capabilityOffsets.msi;
    if (type === kIOInterruptTypeLevel) {
      if (!m.description.interruptPin) throw new IOReturnError(kIOReturnUnsupported, 'the function has no interrupt pin (INTx)');
      if (msi) m.configWrite(msi + 2, 2, m.configRead(msi + 2, 2) & ~1);
      this.#vectors = 0;
      return 1;
    }
    if (type === kIOInterruptTypePCIMessagedX) throw new IOReturnError(kIOReturnUnsupported, 'the function has no MSI-X capability');
    if (type !== kIOInterruptTypePCIMessaged) throw new IOReturnError(kIOReturnUnsupported, `interrupt type 0x${type.toString(16)} is none of kIOInterruptTypeLevel, …PCIMessaged, …PCIMessagedX`);
    if (!msi) throw new IOReturnError(kIOReturnUnsupported, 'the function has no MSI capability');
    const capable = m.msi.length;
    let n = 1;
    while (n * 2 <= Math.min(max, capable)) n *= 2;
    if (n < min) throw new IOReturnError(kIOReturnNoResources, `${min} MSI vectors required, the function offers ${capable}`);
    m.configWrite(msi + 2, 2, (m.configRead(msi + 2, 2) & ~0x70) | (Math.log2(n) << 4) | 1);
    this.#vectors = n;
    return n;
  }

  interruptLine(index: number): IOInterruptLine | null {
    if (index === 0) return this.model.description.interruptPin ? this.model.intx : null;
    return index <= this.#vectors ? (this.model.msi[index - 1] ?? null) : null;
  }

  reset(): void {
    this.model.reset();
    this.#vectors = 0;
  }

  dmaMapper(): IODMAMapper | null {
    return this.#mapper;
  }

  isGone(): boolean {
    return this.#gone;
  }

  close(): void {
    this.#gone = true;
    this.model.stop();
  }
}
