import { IOReturnError, kIOReturnBadArgument, kIOReturnDeviceError, kIOReturnNotAligned } from '@driverkit/driverkit';

/** Reads of a function's configuration space (live through a backend, or a snapshot). */
export interface PCIConfigReader {
  /** Bytes of config space the function has: 256 (conventional) or 4096 (PCI Express). */
  readonly configLength: number;
  read8(offset: number): number;
  read16(offset: number): number;
  read32(offset: number): number;
}

/** One entry of a capability list. */
export interface PCICapability {
  offset: number;
  id: number;
  /** True for the PCI Express extended list (0x100 and up). */
  extended: boolean;
  /** The extended capability's version (bits 16–19 of its header); 0 for standard ones. */
  version: number;
}

const STANDARD_END = 0x100;

/** Checks that `width` bytes at `offset` lie in config space and are naturally aligned. */
export function checkConfigAccess(offset: number, width: 1 | 2 | 4, configLength: number, what: string): void {
  if (!Number.isInteger(offset) || offset < 0 || offset + width > configLength) {
    throw new IOReturnError(kIOReturnBadArgument, `${what}: offset 0x${offset.toString(16)} (${width} bytes) is outside the ${configLength} bytes of config space`);
  }
  if (offset % width !== 0) throw new IOReturnError(kIOReturnNotAligned, `${what}: offset 0x${offset.toString(16)} is not aligned to ${width} bytes`);
}

/**
 * The standard capability list (from the pointer at 0x34, when the status register says there is
 * one and the reader sees past the header). A pointer below 0x40 or past 0xff, or one that points back into the list, is a malformed
 * config space: `kIOReturnDeviceError` naming where, rather than a loop.
 */
export function standardCapabilities(r: PCIConfigReader): PCICapability[] {
  // A 64-byte snapshot (what an unprivileged reader of sysfs, or `lspci -x`, gets) cannot show them.
  if ((r.read16(0x06) & 0x10) === 0 || r.configLength < STANDARD_END) return [];
  const found: PCICapability[] = [];
  const seen = new Set<number>();
  let from = 0x34;
  let at = r.read8(0x34) & 0xfc;
  while (at !== 0) {
    if (at < 0x40 || at >= STANDARD_END) throw new IOReturnError(kIOReturnDeviceError, `malformed capability list: the pointer at 0x${from.toString(16)} gives 0x${at.toString(16)}, outside 0x40–0xff`);
    if (seen.has(at)) throw new IOReturnError(kIOReturnDeviceError, `malformed capability list: the pointer at 0x${from.toString(16)} loops back to 0x${at.toString(16)}`);
    seen.add(at);
    found.push({ offset: at, id: r.read8(at), extended: false, version: 0 });
    from = at + 1;
    at = r.read8(at + 1) & 0xfc;
  }
  return found;
}

/**
 * The PCI Express extended capability list, from 0x100 (only in 4096-byte config spaces). A header
 * of 0 or all ones ends it; a next pointer into the standard space, past the end or back into the
 * list is malformed (`kIOReturnDeviceError`).
 */
export function extendedCapabilities(r: PCIConfigReader): PCICapability[] {
  if (r.configLength <= STANDARD_END) return [];
  const found: PCICapability[] = [];
  const seen = new Set<number>();
  let from = -1;
  let at = STANDARD_END;
  while (at !== 0) {
    if (at < STANDARD_END || at + 4 > r.configLength) throw new IOReturnError(kIOReturnDeviceError, `malformed extended capability list: the header at 0x${from.toString(16)} points to 0x${at.toString(16)}, outside 0x100–0x${(r.configLength - 1).toString(16)}`);
    if (seen.has(at)) throw new IOReturnError(kIOReturnDeviceError, `malformed extended capability list: the header at 0x${from.toString(16)} loops back to 0x${at.toString(16)}`);
    seen.add(at);
    const header = r.read32(at) >>> 0;
    if (header === 0 || header === 0xffffffff) break;
    found.push({ offset: at, id: header & 0xffff, extended: true, version: (header >>> 16) & 0xf });
    from = at;
    at = (header >>> 20) & 0xffc;
  }
  return found;
}

/**
 * Apple's `FindPCICapability` search: `capabilityID` is a standard ID, or a negated extended ID (as a
 * uint32, `-0xB` is 0xfffffff5). With `searchOffset` non-zero the search starts after that
 * capability, so repeated calls find every instance. Returns the offset, or 0 when there is none.
 */
export function findCapability(r: PCIConfigReader, capabilityID: number, searchOffset = 0): number {
  const signed = capabilityID | 0;
  const extended = signed < 0;
  const id = extended ? -signed : capabilityID;
  const list = extended ? extendedCapabilities(r) : standardCapabilities(r);
  const start = searchOffset ? list.findIndex((c) => c.offset === searchOffset) + 1 : 0;
  if (searchOffset && start === 0) return 0;
  return list.slice(start).find((c) => c.id === id)?.offset ?? 0;
}

/** A snapshot of config space as bytes (a dump, or what a sysfs `config` file gave), read as a reader. */
export class PCIConfigSnapshot implements PCIConfigReader {
  readonly #view: DataView;

  constructor(readonly bytes: Uint8Array) {
    if (bytes.length < 64) throw new IOReturnError(kIOReturnBadArgument, `a config space needs at least the 64-byte header, got ${bytes.length} bytes`);
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get configLength(): number {
    return this.bytes.length;
  }

  read8(offset: number): number {
    return offset < this.bytes.length ? this.bytes[offset]! : 0xff;
  }

  read16(offset: number): number {
    return offset + 2 <= this.bytes.length ? this.#view.getUint16(offset, true) : 0xffff;
  }

  read32(offset: number): number {
    return offset + 4 <= this.bytes.length ? this.#view.getUint32(offset, true) : 0xffffffff;
  }
}
