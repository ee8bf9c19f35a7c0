import { IOReturnError, IOSharedMemory, LinuxNative, kIOReturnNoSpace, type IOAddressSegment, type IODMAMapper } from '@driverkit/driverkit';

interface Window {
  iova: bigint;
  address: bigint;
  length: bigint;
}

/**
 * The IOMMU of a virtual PCI function: `IODMACommand.PrepareForDMA` asks it for bus addresses (IOVAs,
 * from `base` up, page granular, reused once completed), and the device model turns an IOVA back
 * into the driver's bytes with {@link resolve}. As with a real IOMMU, a device reaches only memory a
 * driver prepared, and only until `CompleteDMA`.
 */
export class VirtualPCIMapper implements IODMAMapper {
  readonly description: string;
  readonly #windows: Window[] = [];

  constructor(
    name: string,
    readonly base = 0x100000n,
    readonly limit = 1n << 32n,
  ) {
    this.description = `IOVA (virtual IOMMU of ${name})`;
  }

  map(address: bigint, length: number): IOAddressSegment[] {
    const size = BigInt(length);
    const page = BigInt(LinuxNative.pageSize());
    const span = ((size + page - 1n) / page) * page;
    let iova = this.base;
    for (const w of this.#windows) {
      if (w.iova - iova >= span) break;
      iova = w.iova + ((w.length + page - 1n) / page) * page;
    }
    if (iova + span > this.limit) throw new IOReturnError(kIOReturnNoSpace, `${this.description}: no ${span} bytes of IOVA space left below 0x${this.limit.toString(16)}`);
    const window = { iova, address, length: size };
    this.#windows.push(window);
    this.#windows.sort((a, b) => (a.iova < b.iova ? -1 : 1));
    return [{ address: iova, length: size }];
  }

  // IODMACommand hands back its segments trimmed to the prepared range and merged where IOVAs are
  // contiguous, so a window goes when a segment overlaps it.
  unmap(segments: IOAddressSegment[]): void {
    for (const s of segments) {
      for (let i = this.#windows.length - 1; i >= 0; i--) {
        const w = this.#windows[i]!;
        if (w.iova < s.address + s.length && s.address < w.iova + w.length) this.#windows.splice(i, 1);
      }
    }
  }

  /** The driver's bytes behind `length` bytes at bus address `iova`, or null where nothing is mapped. */
  resolve(iova: bigint, length: number): Uint8Array | null {
    const w = this.#windows.find((x) => iova >= x.iova && iova + BigInt(length) <= x.iova + x.length);
    if (!w) return null;
    const found = IOSharedMemory.resolve(w.address + (iova - w.iova), length);
    return found ? new Uint8Array(found.memory.buffer, found.offset, length) : null;
  }

  /** How many windows are mapped (each a prepared IODMACommand). */
  mappedCount(): number {
    return this.#windows.length;
  }
}
