import type { IODMAMapper, IOInterruptLine, IOMemoryDescriptor, OSDictionary } from '@driverkit/driverkit';
import type { PCIConfigReader } from '../config/PCIConfigSpace';

/** Where a function sits. */
export interface PCIFunctionAddress {
  readonly domain: number;
  readonly bus: number;
  readonly device: number;
  readonly function: number;
}

/**
 * One PCI function a backend found, as the host publishes it: where it sits, a snapshot of its
 * config space (for the nub's matching properties), the BAR sizes the OS knows, and the locator a
 * driver process opens it with through the same backend.
 */
export interface PCIFunctionInfo extends PCIFunctionAddress {
  /** The backend's name for it, stable while the function exists ("0000:00:03.0", "virtual-1"). */
  readonly id: string;
  readonly config: Uint8Array;
  readonly barSizes: ReadonlyArray<bigint | undefined>;
  /** The backend a driver opens it through, when not the enumerator's own (sysfs lists a vfio-pci function). */
  readonly backend?: string;
  /** Backend-specific strings and numbers (a sysfs path, a model name): nub properties, so they cross processes. */
  readonly locator: Readonly<Record<string, string | number>>;
}

/** The host side of a backend: the functions it can see now, and word when that changes. */
export interface PCIEnumerator {
  readonly name: string;
  list(): PCIFunctionInfo[];
  /** Calls `changed` when functions may have come or gone; returns what stops watching. */
  watch(changed: () => void): () => void;
}

/** How a driver's MemoryRead/Write reach one BAR of an open function. */
export interface PCIBARAccess {
  readonly size: bigint;
  /**
   * A view straight over the BAR's bytes, when accesses have no side effects the CPU cannot see
   * (VFIO's mmap of a real BAR, a model's plain-memory BAR): MemoryRead/Write use it directly.
   */
  readonly view: DataView | null;
  read(offset: number, width: 1 | 2 | 4 | 8): number | bigint;
  write(offset: number, width: 1 | 2 | 4 | 8, value: number | bigint): void;
  /** The BAR as a memory descriptor a driver can CreateMapping on, where it can be mapped. */
  copyMemoryDescriptor(): IOMemoryDescriptor | null;
}

/**
 * An open PCI function, in the process that opened it (the driver's). Config reads and writes,
 * BAR access, interrupts and DMA addresses all stay in that process.
 */
export interface PCIDeviceHandle extends PCIConfigReader {
  readonly backend: string;
  configWrite8(offset: number, value: number): void;
  configWrite16(offset: number, value: number): void;
  configWrite32(offset: number, value: number): void;
  /** Per memory index (the BARs that exist, in order): how to reach it. */
  readonly bars: ReadonlyArray<PCIBARAccess>;
  /**
   * Allocates `min`…`max` vectors of `type` (kIOInterruptTypeLevel, …PCIMessaged, …PCIMessagedX);
   * returns how many. Throws kIOReturnUnsupported when the function lacks that kind.
   */
  configureInterrupts(type: number, min: number, max: number): number;
  /** The line for an interrupt index (0: INTx; 1…: the configured MSI/MSI-X vectors), or null. */
  interruptLine(index: number): IOInterruptLine | null;
  /** A function-level reset (or the backend's equivalent). */
  reset(type: number): void;
  /** Device addresses for this function's DMA; null for the core's default (physical) mapper. */
  dmaMapper(): IODMAMapper | null;
  /** True once the function is gone (unplugged, revoked): reads then give all ones. */
  isGone(): boolean;
  close(): void;
}

/** The driver-process side of a backend: opens a function from the locator its nub carries. */
export interface PCIDeviceOpener {
  readonly name: string;
  open(locator: OSDictionary, address: PCIFunctionAddress): Promise<PCIDeviceHandle>;
}
