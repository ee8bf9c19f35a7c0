import { VirtualPCIDevice } from '../VirtualPCIDevice';

// Offsets in the DMA channel's vendor-specific extended capability (PEX 8733 Data Book §19.12, as
// Apple's PEX8733Definitions.h names them).
const GLOBAL_CONTROL = 0x08;
const SOURCE_LOWER = 0x10;
const SOURCE_UPPER = 0x14;
const DESTINATION_LOWER = 0x18;
const DESTINATION_UPPER = 0x1c;
const TRANSFER_SIZE = 0x20;
const RING_LOWER = 0x24;
const RING_UPPER = 0x28;
const RING_NEXT_LOWER = 0x2c;
const RING_SIZE = 0x30;
const RING_LAST_LOWER = 0x34;
const RING_LAST_SIZE = 0x38;
const PREFETCH_LIMIT = 0x44;
const CONTROL_STATUS = 0x48;
const INTERRUPT_CONTROL_STATUS = 0x4c;
const CAPABILITY_LENGTH = 0x100;

const CONTROL_START = 1 << 3;
const CONTROL_RING_STOP = 1 << 4;
const CONTROL_MODE_SHIFT = 5;
const CONTROL_STATUS_RW1C = 0x1f00 | 0x80000000;
const CONTROL_IN_PROGRESS = 1 << 30;
const SIZE_MASK = 0x7ffffff;
const SIZE_DONE_INTERRUPT = 1 << 30;
const SIZE_VALID = 1 << 31;
const INT_ERROR_ENABLE = 1 << 0;
const INT_INVALID_ENABLE = 1 << 1;
const INT_STATUS_RW1C = 0x3f0000;
const INT_ERROR = 1 << 16;
const INT_INVALID_DESCRIPTOR = 1 << 17;
const INT_DESCRIPTOR_DONE = 1 << 18;
const DESCRIPTOR_SIZE = 16;

/** How long the engine takes per transfer: real DMA is not instant, and drivers must not assume it. */
export interface PEX8733DMAChannelOptions {
  latencyMs?: number;
}

/**
 * A DMA channel function of a Broadcom (PLX) PEX 8733 switch, as Apple's PCIDriverKitPEX8733 sample
 * drives it: vendor 0x10b5, device 0x87d0, registers in a vendor-specific extended capability (ID
 * 0xB, which the sample finds with `FindPCICapability(-0xB)`), one MSI vector (interrupt index 1).
 * - Block mode: source, destination and a transfer size with valid and done-interrupt bits; Start in
 *   the control register copies the bytes by DMA and raises Descriptor Done.
 * - Off-chip descriptor mode: a ring of 16-byte descriptors (27-bit size, valid and
 *   interrupt-when-done bits, 48-bit addresses) read by DMA from the ring address; with ring stop
 *   mode the engine stops after the ring's last descriptor.
 * - Interrupt status bits are write-one-to-clear; a DMA to memory no one prepared sets Error (and
 *   interrupts when its enable bit is set), as a master abort would.
 */
export class PEX8733DMAChannel extends VirtualPCIDevice {
  readonly #latencyMs: number;
  /** Transfers the engine completed, for tests: [source, destination, bytes]. */
  readonly transfers: Array<[bigint, bigint, number]> = [];

  constructor(options: PEX8733DMAChannelOptions = {}) {
    super({
      vendorID: 0x10b5,
      deviceID: 0x87d0,
      revisionID: 0xaa,
      classCode: 0x088000,
      subsystemVendorID: 0x10b5,
      subsystemID: 0x87d0,
      interruptPin: 1,
      msiVectors: 1,
      powerManagement: true,
      express: true,
      bars: [{ size: 256 * 1024, memory: true }],
      extendedCapabilities: [{ id: 0x0b, version: 1, length: CAPABILITY_LENGTH }],
    });
    this.#latencyMs = options.latencyMs ?? 1;
    const cap = this.#cap;
    this.writableConfig(cap + GLOBAL_CONTROL, 0x3, 4);
    for (const r of [SOURCE_LOWER, SOURCE_UPPER, DESTINATION_LOWER, DESTINATION_UPPER, TRANSFER_SIZE, RING_LOWER, RING_UPPER, RING_NEXT_LOWER, RING_SIZE, PREFETCH_LIMIT]) this.writableConfig(cap + r, 0xffffffff, 4);
    this.writableConfig(cap + CONTROL_STATUS, ~(CONTROL_STATUS_RW1C | CONTROL_IN_PROGRESS) >>> 0, 4);
    this.writableConfig(cap + INTERRUPT_CONTROL_STATUS, 0x803f, 4);
  }

  get #cap(): number {
    return this.capabilityOffsets.extended[0]!;
  }

  #reg(r: number): number {
    return this.configView.getUint32(this.#cap + r, true);
  }

  #setReg(r: number, value: number): void {
    this.configView.setUint32(this.#cap + r, value >>> 0, true);
  }

  protected override configWritten(offset: number, width: 1 | 2 | 4, value: number): void {
    const cap = this.#cap;
    if (offset === cap + CONTROL_STATUS && width === 4) {
      this.#setReg(CONTROL_STATUS, this.#reg(CONTROL_STATUS) & ~(value & CONTROL_STATUS_RW1C));
      if (value & CONTROL_START && !(this.#reg(CONTROL_STATUS) & CONTROL_IN_PROGRESS)) {
        this.#setReg(CONTROL_STATUS, this.#reg(CONTROL_STATUS) | CONTROL_IN_PROGRESS);
        this.after(this.#latencyMs, () => this.#run());
      }
    } else if (offset === cap + INTERRUPT_CONTROL_STATUS && width === 4) {
      this.#setReg(INTERRUPT_CONTROL_STATUS, this.#reg(INTERRUPT_CONTROL_STATUS) & ~(value & INT_STATUS_RW1C));
    }
  }

  #run(): void {
    const mode = (this.#reg(CONTROL_STATUS) >> CONTROL_MODE_SHIFT) & 3;
    if (mode === 0) this.#block();
    else if (mode === 2) this.#ring();
    else this.#interrupt(INT_INVALID_DESCRIPTOR, INT_INVALID_ENABLE); // on-chip descriptors: not modelled
    this.#setReg(CONTROL_STATUS, this.#reg(CONTROL_STATUS) & ~(CONTROL_IN_PROGRESS | CONTROL_START));
  }

  #block(): void {
    const size = this.#reg(TRANSFER_SIZE);
    if (!(size & SIZE_VALID)) return this.#interrupt(INT_INVALID_DESCRIPTOR, INT_INVALID_ENABLE);
    const source = (BigInt(this.#reg(SOURCE_UPPER)) << 32n) | BigInt(this.#reg(SOURCE_LOWER));
    const destination = (BigInt(this.#reg(DESTINATION_UPPER)) << 32n) | BigInt(this.#reg(DESTINATION_LOWER));
    if (!this.#copy(source, destination, size & SIZE_MASK)) return;
    this.#setReg(TRANSFER_SIZE, size & ~SIZE_VALID);
    if (size & SIZE_DONE_INTERRUPT) this.#interrupt(INT_DESCRIPTOR_DONE, 0);
  }

  #ring(): void {
    const base = (BigInt(this.#reg(RING_UPPER)) << 32n) | BigInt(this.#reg(RING_LOWER));
    const count = this.#reg(RING_SIZE);
    let next = (BigInt(this.#reg(RING_UPPER)) << 32n) | BigInt(this.#reg(RING_NEXT_LOWER));
    const stopAtEnd = (this.#reg(CONTROL_STATUS) & CONTROL_RING_STOP) !== 0;
    for (let done = 0; done < count; done++) {
      const d = this.dmaRead(next, DESCRIPTOR_SIZE);
      if (!d) return this.#interrupt(INT_ERROR, INT_ERROR_ENABLE);
      const dv = new DataView(d.buffer);
      const word0 = dv.getUint32(0, true);
      if (!(word0 & SIZE_VALID)) break; // the ring's end: an invalid descriptor
      const upper = dv.getUint32(4, true);
      const destination = (BigInt(upper & 0xffff) << 32n) | BigInt(dv.getUint32(12, true));
      const source = (BigInt(upper >>> 16) << 32n) | BigInt(dv.getUint32(8, true));
      if (!this.#copy(source, destination, word0 & SIZE_MASK)) return;
      this.#setReg(RING_LAST_LOWER, Number(next & 0xffffffffn));
      this.#setReg(RING_LAST_SIZE, word0 & SIZE_MASK);
      const index = Number((next - base) / BigInt(DESCRIPTOR_SIZE));
      next = index + 1 >= count ? base : next + BigInt(DESCRIPTOR_SIZE);
      this.#setReg(RING_NEXT_LOWER, Number(next & 0xffffffffn));
      if (word0 & SIZE_DONE_INTERRUPT) this.#interrupt(INT_DESCRIPTOR_DONE, 0);
      if (stopAtEnd && index + 1 >= count) break;
    }
  }

  #copy(source: bigint, destination: bigint, length: number): boolean {
    const bytes = this.dmaRead(source, length);
    if (!bytes || !this.dmaWrite(destination, bytes)) {
      this.#interrupt(INT_ERROR, INT_ERROR_ENABLE);
      return false;
    }
    this.transfers.push([source, destination, length]);
    return true;
  }

  /** Sets a status bit and interrupts when it is always signalled (enable 0) or its enable bit is set. */
  #interrupt(status: number, enable: number): void {
    const control = this.#reg(INTERRUPT_CONTROL_STATUS);
    this.#setReg(INTERRUPT_CONTROL_STATUS, control | status);
    if (enable === 0 || control & enable) this.raiseInterrupt(0);
  }
}
