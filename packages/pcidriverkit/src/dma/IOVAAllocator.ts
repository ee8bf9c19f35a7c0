import { IOReturnError, LinuxNative, kIOReturnNoSpace, type IOAddressSegment } from '@driverkit/driverkit';

/** One mapped window: `length` bytes of this process's memory at `address`, seen by the device at `iova`. */
export interface IOVAWindow {
  iova: bigint;
  address: bigint;
  length: bigint;
}

/**
 * Hands out I/O virtual addresses for an IOMMU (a real one through VFIO, or a virtual function's):
 * page-granular windows from `base` below `limit`, first fit, reused once freed. Low IOVAs suit
 * devices that drive few address bits (QEMU's edu: 28).
 */
export class IOVAAllocator {
  readonly #windows: IOVAWindow[] = [];

  constructor(
    readonly description: string,
    readonly base = 0x100000n,
    readonly limit = 1n << 32n,
  ) {}

  allocate(address: bigint, length: number): IOVAWindow {
    const page = BigInt(LinuxNative.pageSize());
    const span = ((BigInt(length) + page - 1n) / page) * page;
    let iova = this.base;
    for (const w of this.#windows) {
      if (w.iova - iova >= span) break;
      iova = w.iova + ((w.length + page - 1n) / page) * page;
    }
    if (iova + span > this.limit) throw new IOReturnError(kIOReturnNoSpace, `${this.description}: no ${span} bytes of IOVA space left below 0x${this.limit.toString(16)}`);
    const window = { iova, address, length: BigInt(length) };
    this.#windows.push(window);
    this.#windows.sort((a, b) => (a.iova < b.iova ? -1 : 1));
    return window;
  }

  /**
   * Frees the windows `segments` overlap: IODMACommand hands back its segments trimmed to the
   * prepared range and merged where IOVAs are contiguous. Returns what was freed.
   */
  free(segments: IOAddressSegment[]): IOVAWindow[] {
    const freed: IOVAWindow[] = [];
    for (const s of segments) {
      for (let i = this.#windows.length - 1; i >= 0; i--) {
        const w = this.#windows[i]!;
        if (w.iova < s.address + s.length && s.address < w.iova + w.length) freed.push(...this.#windows.splice(i, 1));
      }
    }
    return freed;
  }

  /** The window holding `length` bytes at `iova`, or undefined. */
  find(iova: bigint, length: number): IOVAWindow | undefined {
    return this.#windows.find((x) => iova >= x.iova && iova + BigInt(length) <= x.iova + x.length);
  }

  get size(): number {
    return this.#windows.length;
  }
}
