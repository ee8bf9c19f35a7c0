import { IOReturnError, IOSharedMemory, IOVirtualInterruptLine, kIOReturnBadArgument } from '@driverkit/driverkit';
import type { VirtualPCIMapper } from './VirtualPCIMapper';

/** One BAR of a model: its size (a power of two), kind, and whether it is plain memory. */
export interface VirtualPCIBARDescription {
  size: number;
  kind?: 'm32' | 'm64' | 'io';
  prefetchable?: boolean;
  /**
   * Plain memory (SRAM, a frame buffer): reads and writes go to bytes the model shares, so drivers
   * may map it. Otherwise the BAR is registers: every access reaches {@link VirtualPCIDevice.mmioRead}
   * / {@link VirtualPCIDevice.mmioWrite}, and it cannot be mapped.
   */
  memory?: boolean;
}

/** An extended capability a model carries, its body laid out by the model after the header. */
export interface VirtualPCIExtendedCapability {
  id: number;
  version?: number;
  /** Bytes including the 4-byte header. */
  length: number;
}

/**
 * What a model's config space holds, declared; {@link VirtualPCIDevice} lays it out as hardware
 * would (header, BARs that size themselves, a capability chain from 0x40, extended ones from 0x100)
 * and keeps the read-only parts read-only.
 */
export interface VirtualPCIDeviceDescription {
  vendorID: number;
  deviceID: number;
  /** Base class, subclass, programming interface (24 bits). */
  classCode: number;
  revisionID?: number;
  subsystemVendorID?: number;
  subsystemID?: number;
  /** 0 for an endpoint, 1 for a PCI-to-PCI bridge (two BARs, bus numbers, no subsystem IDs at 0x2c). */
  headerType?: 0 | 1;
  /** 1–4 for INTA#–INTD#, 0 for none. */
  interruptPin?: number;
  bars?: Array<VirtualPCIBARDescription | null>;
  /** MSI with this many vectors (a power of two up to 32). */
  msiVectors?: number;
  powerManagement?: boolean;
  /** A PCI Express capability (v2), with function-level reset. */
  express?: boolean;
  /** Its device/port type: 0 endpoint (the default), 5 upstream switch port, … */
  expressType?: number;
  extendedCapabilities?: VirtualPCIExtendedCapability[];
}

const STATUS_INTERRUPT = 0x0008;
const STATUS_CAPABILITIES = 0x0010;
const STATUS_RW1C = 0xf900;
const COMMAND_WRITABLE = 0x0547;
const COMMAND_INTX_DISABLE = 0x0400;

/**
 * A virtual PCI function: the base of device models (QEMU's edu, the PEX8733 DMA channel). It owns a
 * config space that behaves as hardware's does (writable bits masked, BARs answering the all-ones
 * sizing probe, RW1C status bits, MSI and PM capabilities that take effect), BARs of memory or of
 * registers, an INTx line and MSI vectors, and DMA through the device's mapper. Subclasses implement
 * their registers in {@link mmioRead}/{@link mmioWrite} and {@link configWritten}, and raise
 * interrupts with {@link raiseInterrupt}.
 *
 * A model runs in the process that opened it (the driver's), so MMIO is a function call and DMA
 * touches the driver's buffers directly.
 */
export abstract class VirtualPCIDevice {
  readonly config: Uint8Array;
  readonly configView: DataView;
  readonly bars: ReadonlyArray<VirtualPCIBARDescription | null>;
  /** INTx (interrupt index 0). */
  readonly intx = new IOVirtualInterruptLine('level');
  /** MSI vectors (interrupt indexes 1…). */
  readonly msi: IOVirtualInterruptLine[];
  /** Capability offsets the layout chose. */
  readonly capabilityOffsets: { msi: number; pm: number; express: number; extended: number[] };
  /** The bus-address translator DMA goes through; set by whoever opens the device. */
  mapper: VirtualPCIMapper | null = null;
  /** DMA the device could not carry out (an address no one mapped), for tests and logs. */
  readonly dmaFaults: string[] = [];
  readonly #writable: Uint8Array;
  readonly #memory: Array<IOSharedMemory | null>;
  readonly #reset: Uint8Array;
  readonly #timers = new Set<NodeJS.Timeout>();
  #intxAsserted = false;

  constructor(readonly description: VirtualPCIDeviceDescription) {
    const length = description.express || description.extendedCapabilities?.length ? 4096 : 256;
    this.config = new Uint8Array(length);
    this.configView = new DataView(this.config.buffer);
    this.#writable = new Uint8Array(length);
    const v = this.configView;
    v.setUint16(0x00, description.vendorID, true);
    v.setUint16(0x02, description.deviceID, true);
    v.setUint32(0x08, ((description.classCode & 0xffffff) << 8 | (description.revisionID ?? 0)) >>> 0, true);
    if (description.headerType === 1) {
      this.config[0x0e] = 1;
      this.writableConfig(0x18, 0xffffff, 4); // primary, secondary, subordinate bus numbers
      if ((description.bars?.length ?? 0) > 2) throw new IOReturnError(kIOReturnBadArgument, 'a bridge header has two BARs');
    } else {
      v.setUint16(0x2c, description.subsystemVendorID ?? 0, true);
      v.setUint16(0x2e, description.subsystemID ?? 0, true);
    }
    this.config[0x3d] = description.interruptPin ?? 0;
    this.#writable[0x3c] = 0xff; // interrupt line: firmware's scratch register
    this.#writable[0x0c] = 0xff; // cache line size
    this.#writable[0x0d] = 0xff; // latency timer
    this.#mask16(0x04, COMMAND_WRITABLE);

    this.bars = description.bars ?? [];
    this.#memory = this.bars.map((b) => (b?.memory ? IOSharedMemory.allocate(b.size) : null));
    for (let i = 0; i < this.bars.length; i++) {
      const bar = this.bars[i];
      if (!bar) continue;
      if (bar.size < 16 || (bar.size & (bar.size - 1)) !== 0) throw new IOReturnError(kIOReturnBadArgument, `BAR${i}: size ${bar.size} is not a power of two of at least 16`);
      const low = bar.kind === 'io' ? 1 : (bar.kind === 'm64' ? 4 : 0) | (bar.prefetchable ? 8 : 0);
      v.setUint32(0x10 + i * 4, low, true);
      this.#mask32(0x10 + i * 4, (~(bar.size - 1) >>> 0) & (bar.kind === 'io' ? 0xfffffffc : 0xfffffff0));
      if (bar.kind === 'm64') this.#mask32(0x10 + ++i * 4, 0xffffffff);
    }

    const caps: Array<{ id: number; length: number; fill: (at: number) => void }> = [];
    const offsets = { msi: 0, pm: 0, express: 0, extended: [] as number[] };
    if (description.powerManagement) {
      caps.push({ id: 0x01, length: 8, fill: (at) => {
        offsets.pm = at;
        v.setUint16(at + 2, 0x0003, true); // version 3, no D1/D2, no PME
        v.setUint16(at + 4, 0x0008, true); // PMCSR: No_Soft_Reset
        this.#mask16(at + 4, 0x0003);
      } });
    }
    if (description.msiVectors) {
      const n = description.msiVectors;
      if (n < 1 || n > 32 || (n & (n - 1)) !== 0) throw new IOReturnError(kIOReturnBadArgument, `msiVectors must be a power of two from 1 to 32, got ${n}`);
      caps.push({ id: 0x05, length: 14, fill: (at) => {
        offsets.msi = at;
        v.setUint16(at + 2, (Math.log2(n) << 1) | 0x80, true); // Multiple Message Capable, 64-bit
        this.#mask16(at + 2, 0x0071); // enable, Multiple Message Enable
        this.#mask32(at + 4, 0xfffffffc);
        this.#mask32(at + 8, 0xffffffff);
        this.#mask16(at + 12, 0xffff);
      } });
    }
    if (description.express) {
      caps.push({ id: 0x10, length: 0x3c, fill: (at) => {
        offsets.express = at;
        v.setUint16(at + 2, 0x0002 | ((description.expressType ?? 0) << 4), true);
        v.setUint32(at + 4, 0x10008000, true); // DevCap: FLR capable, role-based error reporting
        this.#mask16(at + 8, 0x7fff); // DevCtl (bit 15: initiate FLR, handled on write)
        this.#writable[at + 9] = this.#writable[at + 9]! | 0x80;
      } });
    }
    let at = 0x40;
    let previous = 0x34;
    for (const cap of caps) {
      this.config[previous] = at;
      this.config[at] = cap.id;
      cap.fill(at);
      previous = at + 1;
      at = (at + cap.length + 3) & ~3;
    }
    if (caps.length) v.setUint16(0x06, STATUS_CAPABILITIES, true);
    let ext = 0x100;
    const extended = description.extendedCapabilities ?? [];
    extended.forEach((cap, i) => {
      const next = i + 1 < extended.length ? (ext + cap.length + 3) & ~3 : 0;
      v.setUint32(ext, (cap.id & 0xffff) | ((cap.version ?? 1) << 16) | (next << 20), true);
      offsets.extended.push(ext);
      ext = next;
    });
    this.capabilityOffsets = offsets;
    this.msi = Array.from({ length: description.msiVectors ?? 0 }, () => new IOVirtualInterruptLine('edge'));
    this.#reset = Uint8Array.from(this.config);
  }

  /** Marks bits of config space writable by drivers (models call it for their own registers). */
  protected writableConfig(offset: number, mask: number, width: 1 | 2 | 4): void {
    for (let i = 0; i < width; i++) this.#writable[offset + i] = this.#writable[offset + i]! | ((mask >>> (8 * i)) & 0xff);
  }

  #mask16(offset: number, mask: number): void {
    this.writableConfig(offset, mask, 2);
  }

  #mask32(offset: number, mask: number): void {
    this.writableConfig(offset, mask, 4);
  }

  // ---- config space -------------------------------------------------------------------------

  configRead(offset: number, width: 1 | 2 | 4): number {
    const v = this.configView;
    return width === 1 ? v.getUint8(offset) : width === 2 ? v.getUint16(offset, true) : v.getUint32(offset, true);
  }

  configWrite(offset: number, width: 1 | 2 | 4, value: number): void {
    const before = Uint8Array.from(this.config.subarray(offset, offset + width));
    for (let i = 0; i < width; i++) {
      const byte = (value >>> (8 * i)) & 0xff;
      const at = offset + i;
      // Status: only the error bits, and those clear when written with ones.
      if (at === 0x06 || at === 0x07) {
        const rw1c = (STATUS_RW1C >> (8 * (at - 6))) & 0xff;
        this.config[at] = this.config[at]! & ~(byte & rw1c);
        continue;
      }
      const mask = this.#writable[at]!;
      this.config[at] = (this.config[at]! & ~mask) | (byte & mask);
    }
    if (this.capabilityOffsets.express && offset <= this.capabilityOffsets.express + 9 && offset + width > this.capabilityOffsets.express + 9 && this.config[this.capabilityOffsets.express + 9]! & 0x80) {
      this.reset();
      return;
    }
    if (offset <= 0x05 && offset + width > 0x05 && (before[0x05 - offset]! ^ this.config[0x05]!) & (COMMAND_INTX_DISABLE >> 8)) this.#updateIntx();
    this.configWritten(offset, width, value);
  }

  /** Called after a driver's config write took effect; models with config registers react here. */
  protected configWritten(_offset: number, _width: 1 | 2 | 4, _value: number): void {}

  /** True while the MSI capability is enabled. */
  msiEnabled(): boolean {
    return this.capabilityOffsets.msi !== 0 && (this.config[this.capabilityOffsets.msi + 2]! & 1) === 1;
  }

  /** MSI vectors enabled (Multiple Message Enable). */
  msiVectorsEnabled(): number {
    return this.msiEnabled() ? 1 << ((this.configView.getUint16(this.capabilityOffsets.msi + 2, true) >> 4) & 7) : 0;
  }

  // ---- BARs ---------------------------------------------------------------------------------

  /** The shared bytes of a plain-memory BAR, or null for a register BAR. */
  barMemory(index: number): IOSharedMemory | null {
    return this.#memory[index] ?? null;
  }

  /** Reads a register of a register BAR; all ones unless the model says otherwise. */
  mmioRead(_bar: number, _offset: number, width: 1 | 2 | 4 | 8): number | bigint {
    return width === 8 ? 0xffffffffffffffffn : width === 4 ? 0xffffffff : width === 2 ? 0xffff : 0xff;
  }

  /** Writes a register of a register BAR; ignored unless the model implements it. */
  mmioWrite(_bar: number, _offset: number, _width: 1 | 2 | 4 | 8, _value: number | bigint): void {}

  /** True while the command register lets the device answer memory cycles. */
  memoryEnabled(): boolean {
    return (this.config[0x04]! & 0x02) !== 0;
  }

  /** True while the command register lets the device master the bus (DMA, MSI). */
  busMasterEnabled(): boolean {
    return (this.config[0x04]! & 0x04) !== 0;
  }

  // ---- interrupts ---------------------------------------------------------------------------

  /**
   * Signals an interrupt as the hardware would: MSI `vector` when MSI is enabled (and bus mastering,
   * which MSI writes need), else INTx asserted until {@link lowerInterrupt}.
   */
  protected raiseInterrupt(vector = 0): void {
    if (this.msiEnabled()) {
      if (!this.busMasterEnabled()) return;
      const n = this.msiVectorsEnabled();
      this.msi[vector % n]?.raise();
      return;
    }
    this.#intxAsserted = true;
    this.#updateIntx(true);
  }

  /** Deasserts INTx (level-triggered: drivers acknowledge in the device, then it drops). */
  protected lowerInterrupt(): void {
    this.#intxAsserted = false;
    this.#updateIntx();
  }

  #updateIntx(edge = false): void {
    const disabled = (this.configView.getUint16(0x04, true) & COMMAND_INTX_DISABLE) !== 0;
    const status = this.configView.getUint16(0x06, true);
    this.configView.setUint16(0x06, this.#intxAsserted ? status | STATUS_INTERRUPT : status & ~STATUS_INTERRUPT, true);
    if (this.#intxAsserted && !disabled && (edge || !this.msiEnabled())) this.intx.raise();
  }

  // ---- DMA ----------------------------------------------------------------------------------

  /**
   * Reads `length` bytes the driver prepared for DMA at bus address `address`, or null (recorded as a
   * fault) when no prepared memory is there or bus mastering is off.
   */
  protected dmaRead(address: bigint, length: number): Uint8Array | null {
    const bytes = this.#dma(address, length, 'read');
    return bytes ? Uint8Array.from(bytes) : null;
  }

  /** Writes `bytes` to bus address `address`; false (recorded as a fault) when it cannot. */
  protected dmaWrite(address: bigint, bytes: Uint8Array): boolean {
    const target = this.#dma(address, bytes.length, 'write');
    target?.set(bytes);
    return target !== null;
  }

  #dma(address: bigint, length: number, what: string): Uint8Array | null {
    const fault = (why: string) => {
      this.dmaFaults.push(`DMA ${what} of ${length} bytes at 0x${address.toString(16)}: ${why}`);
      return null;
    };
    if (!this.busMasterEnabled()) return fault('bus mastering is off (set kIOPCICommandBusLead)');
    if (!this.mapper) return fault('the device has no mapper');
    return this.mapper.resolve(address, length) ?? fault('no memory is prepared for DMA there');
  }

  // ---- time and lifecycle -------------------------------------------------------------------

  /** Runs `fn` after `ms` (the model's own work: a DMA engine, a computation); cancelled by stop and reset. */
  protected after(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      fn();
    }, ms);
    this.#timers.add(t);
  }

  /** A function-level reset: config space as at power-on, pending work cancelled, {@link resetState} run. */
  reset(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.config.set(this.#reset);
    this.#intxAsserted = false;
    for (const m of this.#memory) if (m) new Uint8Array(m.buffer).fill(0);
    this.resetState();
  }

  /** The model's registers back to power-on values. */
  protected resetState(): void {}

  /** Ends the model's work and frees its memory (the driver closed the device). */
  stop(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    for (const m of this.#memory) m?.close();
  }
}
