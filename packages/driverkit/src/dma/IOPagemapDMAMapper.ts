import { closeSync, openSync, readSync } from 'node:fs';
import { IOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnNotPrivileged, kIOReturnUnsupported, kIOReturnVMError } from '../IOReturn/IOReturn';
import type { IOAddressSegment } from '../memory/IOMemoryDescriptor';
import { pageSize } from '../native/LinuxNative';
import type { IODMAMapper } from './IODMAMapper';

const PFN_MASK = (1n << 55n) - 1n;
const PAGE_PRESENT = 1n << 63n;
const PAGE_SWAPPED = 1n << 62n;

/**
 * The default {@link IODMAMapper}: physical addresses read from `/proc/self/pagemap`, as a device
 * without an IOMMU sees memory. The kernel shows page frame numbers only to CAP_SYS_ADMIN (root);
 * without it every frame reads as 0, which this mapper reports as `kIOReturnNotPrivileged` rather
 * than handing a device address 0.
 */
export class IOPagemapDMAMapper implements IODMAMapper {
  readonly description = 'physical (/proc/self/pagemap)';
  readonly #path: string;

  constructor(path = '/proc/self/pagemap') {
    this.#path = path;
  }

  map(address: bigint, length: number): IOAddressSegment[] {
    const page = pageSize();
    const first = address / BigInt(page);
    const count = Math.ceil(length / page);
    const entries = Buffer.alloc(count * 8);
    let fd: number;
    try {
      fd = openSync(this.#path, 'r');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const denied = code === 'EACCES' || code === 'EPERM';
      throw new IOReturnError(denied ? kIOReturnNotPrivileged : kIOReturnUnsupported, `no physical addresses: cannot open ${this.#path} (${code})${denied ? '; it needs CAP_SYS_ADMIN' : ''}`, { osError: code, cause: e });
    }
    try {
      const n = readSync(fd, entries, 0, entries.length, first * 8n);
      if (n !== entries.length) throw new IOReturnError(kIOReturnVMError, `${this.#path} gave ${n} of ${entries.length} bytes for 0x${address.toString(16)}`);
    } finally {
      closeSync(fd);
    }
    const segments: IOAddressSegment[] = [];
    for (let i = 0; i < count; i++) {
      const entry = entries.readBigUInt64LE(i * 8);
      const at = `0x${(address + BigInt(i * page)).toString(16)}`;
      if (!(entry & PAGE_PRESENT) || entry & PAGE_SWAPPED) {
        throw new IOReturnError(kIOReturnVMError, `the page at ${at} is not resident, so it has no physical address`);
      }
      const pfn = entry & PFN_MASK;
      if (pfn === 0n) {
        throw new IOReturnError(kIOReturnNotPrivileged, `no physical addresses: ${this.#path} hides page frames from processes without CAP_SYS_ADMIN (run the driver host as root, or give the device an IOMMU mapper through VFIO)`);
      }
      const physical = pfn * BigInt(page);
      const last = segments[segments.length - 1];
      if (last && last.address + last.length === physical) last.length += BigInt(page);
      else segments.push({ address: physical, length: BigInt(page) });
    }
    return segments;
  }
}
