import { closeSync, fstatSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { IOReturnError, kIOReturnNotPermitted, type IODMAMapper, type IOInterruptLine, type IOMemoryDescriptor } from '@driverkit/driverkit';
import { decodeBARs } from '../../config/PCIConfigDecode';
import { PCIConfigSnapshot } from '../../config/PCIConfigSpace';
import type { PCIBARAccess, PCIDeviceHandle, PCIFunctionAddress } from '../PCIBackend';
import { readRegister } from '../PCIRegisterIO';
import { readBARSizes, readConfig } from './SysfsPCIBackend';

/**
 * A function of this machine opened through sysfs. Config space is read through the `config` file
 * (pread per access, so a driver sees the live registers); everything that could change the device —
 * config writes, BAR access (which would mean mapping `resourceN`), interrupts, reset, DMA — is
 * refused with kIOReturnNotPermitted: the kernel's own driver owns the device, and this backend
 * never writes to, maps or unbinds it. A read of a device that went away gives all ones.
 */
export class SysfsPCIDeviceHandle implements PCIDeviceHandle {
  readonly backend = 'sysfs';
  readonly configLength: number;
  readonly bars: PCIBARAccess[];
  #fd: number;
  #gone = false;
  readonly #buffer = Buffer.alloc(8);

  constructor(
    readonly path: string,
    readonly address: PCIFunctionAddress,
  ) {
    this.#fd = openSync(join(path, 'config'), 'r');
    this.configLength = fstatSync(this.#fd).size || 256;
    const refuse = (what: string) => this.#refuse(what);
    this.bars = decodeBARs(new PCIConfigSnapshot(readConfig(path)), readBARSizes(path)).map(
      (bar): PCIBARAccess => ({
        size: bar.size ?? 0n,
        view: null,
        read: () => refuse(`reading BAR${bar.index}`),
        write: () => refuse(`writing BAR${bar.index}`),
        copyMemoryDescriptor: (): IOMemoryDescriptor | null => refuse(`mapping BAR${bar.index}`),
      }),
    );
  }

  read8(offset: number): number {
    return this.#read(offset, 1, 0xff);
  }

  read16(offset: number): number {
    return this.#read(offset, 2, 0xffff);
  }

  read32(offset: number): number {
    return this.#read(offset, 4, 0xffffffff);
  }

  configWrite8(): void {
    this.#refuse('a config write');
  }

  configWrite16(): void {
    this.#refuse('a config write');
  }

  configWrite32(): void {
    this.#refuse('a config write');
  }

  configureInterrupts(): number {
    return this.#refuse('configuring interrupts');
  }

  interruptLine(): IOInterruptLine | null {
    return null;
  }

  reset(): void {
    this.#refuse('a reset');
  }

  dmaMapper(): IODMAMapper | null {
    return this.#refuse('DMA');
  }

  isGone(): boolean {
    return this.#gone;
  }

  close(): void {
    if (this.#fd >= 0) closeSync(this.#fd);
    this.#fd = -1;
  }

  #read(offset: number, width: 1 | 2 | 4, ones: number): number {
    if (this.#gone || this.#fd < 0) return ones;
    try {
      return (readRegister(this.#fd, this.#buffer, offset, width) as number | null) ?? ones;
    } catch {
      this.#gone = true;
      return ones;
    }
  }

  #refuse(what: string): never {
    throw new IOReturnError(kIOReturnNotPermitted, `${what} on ${this.path}: sysfs gives read-only access to this machine's own PCI functions; bind the function to vfio-pci to drive it`);
  }
}
