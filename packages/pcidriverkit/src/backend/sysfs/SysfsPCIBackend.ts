import { closeSync, existsSync, openSync, readdirSync, readFileSync, readlinkSync, readSync } from 'node:fs';
import { basename, join } from 'node:path';
import { IOReturnError, OSString, kIOReturnNoDevice, kIOReturnNotFound, type OSDictionary } from '@driverkit/driverkit';
import type { PCIDeviceHandle, PCIDeviceOpener, PCIEnumerator, PCIFunctionAddress, PCIFunctionInfo } from '../PCIBackend';
import { SysfsPCIDeviceHandle } from './SysfsPCIDeviceHandle';

const NAME = /^([0-9a-f]{4}):([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/;

/**
 * The functions the Linux kernel enumerated, through `/sys/bus/pci/devices`: config space from each
 * `config` file, BAR sizes from `resource`, hotplug by listing again. Read only: these are the
 * machine's own devices (see {@link SysfsPCIDeviceHandle}); a driver that must write to a device binds
 * it to vfio-pci: such a function is published for the VFIO backend instead.
 */
export class SysfsPCIBackend implements PCIEnumerator, PCIDeviceOpener {
  readonly name = 'sysfs';

  constructor(readonly root = '/sys/bus/pci/devices') {}

  list(): PCIFunctionInfo[] {
    let names: string[];
    try {
      names = readdirSync(this.root);
    } catch {
      return [];
    }
    const found: PCIFunctionInfo[] = [];
    for (const id of names.sort()) {
      const m = NAME.exec(id);
      if (!m) continue;
      const info = this.#describe(id, m);
      if (info) found.push(info);
    }
    return found;
  }

  watch(changed: () => void, pollMs = 2000): () => void {
    let last = this.#names();
    const timer = setInterval(() => {
      const now = this.#names();
      if (now !== last) {
        last = now;
        changed();
      }
    }, pollMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  async open(locator: OSDictionary, address: PCIFunctionAddress): Promise<PCIDeviceHandle> {
    const path = locator.getObject('path');
    if (!(path instanceof OSString)) throw new IOReturnError(kIOReturnNotFound, 'the sysfs PCI locator names no path');
    if (!existsSync(join(path.getCStringNoCopy(), 'config'))) throw new IOReturnError(kIOReturnNoDevice, `${path.getCStringNoCopy()} is gone`);
    return new SysfsPCIDeviceHandle(path.getCStringNoCopy(), address);
  }

  #names(): string {
    try {
      return readdirSync(this.root).sort().join(',');
    } catch {
      return '';
    }
  }

  #describe(id: string, m: RegExpExecArray): PCIFunctionInfo | null {
    const path = join(this.root, id);
    let config: Uint8Array;
    try {
      config = readConfig(path);
    } catch {
      return null; // gone while listing
    }
    const vfio = vfioGroup(path);
    return {
      id,
      domain: parseInt(m[1]!, 16),
      bus: parseInt(m[2]!, 16),
      device: parseInt(m[3]!, 16),
      function: parseInt(m[4]!, 16),
      config,
      barSizes: readBARSizes(path),
      ...(vfio ? { backend: 'vfio', locator: { path, group: vfio, name: id } } : { locator: { path } }),
    };
  }
}

/**
 * The VFIO group device of a function bound to vfio-pci (/dev/vfio/N, or /dev/vfio/noiommu-N without
 * an IOMMU), or null for a function its kernel driver (or none) has.
 */
export function vfioGroup(path: string): string | null {
  try {
    if (basename(readlinkSync(join(path, 'driver'))) !== 'vfio-pci') return null;
    const group = basename(readlinkSync(join(path, 'iommu_group')));
    return [`/dev/vfio/noiommu-${group}`, `/dev/vfio/${group}`].find((p) => existsSync(p)) ?? null;
  } catch {
    return null;
  }
}

/** The whole `config` file: 4096 bytes for PCI Express, 256 for PCI, 64 for a reader without privilege. */
export function readConfig(path: string): Uint8Array {
  const fd = openSync(join(path, 'config'), 'r');
  try {
    const buffer = Buffer.alloc(4096);
    let n = 0;
    for (let got; n < buffer.length && (got = readSync(fd, buffer, n, buffer.length - n, n)) > 0; ) n += got;
    return new Uint8Array(buffer.subarray(0, n));
  } finally {
    closeSync(fd);
  }
}

/** BAR sizes from `resource` (start, end, flags per line; the first six lines are the BARs). */
export function readBARSizes(path: string): Array<bigint | undefined> {
  let text: string;
  try {
    text = readFileSync(join(path, 'resource'), 'utf8');
  } catch {
    return [];
  }
  return text
    .trim()
    .split('\n')
    .slice(0, 6)
    .map((line) => {
      const [start, end] = line.trim().split(/\s+/).map((v) => BigInt(v));
      return end! > 0n || start! > 0n ? end! - start! + 1n : undefined;
    });
}
