import { VirtualPCIDevice } from '../VirtualPCIDevice';

export const EDU_FACT_IRQ = 0x00000001;
export const EDU_DMA_IRQ = 0x00000100;
export const EDU_DMA_START = 0x40000;
export const EDU_DMA_SIZE = 4096;
const STATUS_COMPUTING = 0x01;
const STATUS_IRQFACT = 0x80;
const DMA_RUN = 0x1;
const DMA_TO_PCI = 0x2;
const DMA_IRQ = 0x4;

/** How the model times its work; QEMU's DMA timer is 100 ms of virtual time. */
export interface EduDeviceOptions {
  dmaDelayMs?: number;
  /** Bits of address the DMA engine drives (QEMU's `dma_mask` property; 28 by default). */
  dmaBits?: number;
}

/**
 * QEMU's educational PCI device (`-device edu`, docs/specs/edu.rst), register for register:
 * vendor 0x1234, device 0x11e8, revision 0x10, class 0x00ff00; BAR0 is 1 MiB of registers; one MSI
 * vector, else INTA#.
 * - 0x00 identification 0x010000ed; 0x04 liveness check (reads back the inverse of what was written);
 * - 0x08 factorial: a write starts computing (status bit 0x01 while busy) unless busy; status bit
 *   0x80 asks for interrupt 0x00000001 when done; 0x20 status;
 * - 0x24 interrupt status; 0x60 raise (ORs into it); 0x64 acknowledge (clears bits, lowers INTx at 0);
 * - DMA: 0x80 source, 0x88 destination, 0x90 count, 0x98 command (bit 0 start, bit 1 direction
 *   1 = to RAM, bit 2 raise interrupt 0x100 when done), between bus addresses (masked to
 *   `dmaBits`) and the device's 4 KiB buffer at 0x40000.
 * Registers below 0x80 take 4-byte accesses only, the DMA ones 4 or 8; others read all ones.
 */
export class EduDevice extends VirtualPCIDevice {
  #livenessInverse = 0;
  #fact = 0;
  #status = 0;
  #irqStatus = 0;
  #dma = { src: 0n, dst: 0n, cnt: 0n, cmd: 0n };
  readonly #buffer = new Uint8Array(EDU_DMA_SIZE);
  readonly #dmaDelayMs: number;
  readonly #dmaMask: bigint;

  constructor(options: EduDeviceOptions = {}) {
    super({ vendorID: 0x1234, deviceID: 0x11e8, revisionID: 0x10, classCode: 0x00ff00, subsystemVendorID: 0x1af4, subsystemID: 0x1100, interruptPin: 1, msiVectors: 1, bars: [{ size: 1 << 20 }] });
    this.#dmaDelayMs = options.dmaDelayMs ?? 100;
    this.#dmaMask = (1n << BigInt(options.dmaBits ?? 28)) - 1n;
  }

  /** The device's DMA buffer (at 0x40000 in its own address space), for tests. */
  get dmaBuffer(): Uint8Array {
    return this.#buffer;
  }

  override mmioRead(_bar: number, offset: number, width: 1 | 2 | 4 | 8): number | bigint {
    const ones = super.mmioRead(0, offset, width);
    if ((offset < 0x80 && width !== 4) || (offset >= 0x80 && width !== 4 && width !== 8)) return ones;
    const wide = (v: bigint) => (width === 8 ? v : Number(v & 0xffffffffn));
    switch (offset) {
      case 0x00:
        return 0x010000ed;
      case 0x04:
        return this.#livenessInverse >>> 0;
      case 0x08:
        return this.#fact >>> 0;
      case 0x20:
        return this.#status;
      case 0x24:
        return this.#irqStatus >>> 0;
      case 0x80:
        return wide(this.#dma.src);
      case 0x88:
        return wide(this.#dma.dst);
      case 0x90:
        return wide(this.#dma.cnt);
      case 0x98:
        return wide(this.#dma.cmd);
      default:
        return ones;
    }
  }

  override mmioWrite(_bar: number, offset: number, width: 1 | 2 | 4 | 8, value: number | bigint): void {
    if ((offset < 0x80 && width !== 4) || (offset >= 0x80 && width !== 4 && width !== 8)) return;
    const v32 = Number(BigInt(value) & 0xffffffffn);
    const v = BigInt(value);
    const dmaBusy = (this.#dma.cmd & BigInt(DMA_RUN)) !== 0n;
    switch (offset) {
      case 0x04:
        this.#livenessInverse = ~v32 >>> 0;
        break;
      case 0x08:
        if (this.#status & STATUS_COMPUTING) break;
        this.#fact = v32;
        this.#status |= STATUS_COMPUTING;
        // The computation runs apart from the register access (QEMU uses a thread), so drivers poll
        // the status register or take the interrupt.
        this.after(0, () => this.#factorial());
        break;
      case 0x20:
        this.#status = v32 & STATUS_IRQFACT ? this.#status | STATUS_IRQFACT : this.#status & ~STATUS_IRQFACT;
        break;
      case 0x60:
        this.#raise(v32);
        break;
      case 0x64:
        this.#irqStatus &= ~v32;
        if (this.#irqStatus === 0 && !this.msiEnabled()) this.lowerInterrupt();
        break;
      case 0x80:
        if (!dmaBusy) this.#dma.src = v;
        break;
      case 0x88:
        if (!dmaBusy) this.#dma.dst = v;
        break;
      case 0x90:
        if (!dmaBusy) this.#dma.cnt = v;
        break;
      case 0x98:
        if (!(v & BigInt(DMA_RUN)) || dmaBusy) break;
        this.#dma.cmd = v;
        this.after(this.#dmaDelayMs, () => this.#runDMA());
        break;
    }
  }

  #factorial(): void {
    let n = this.#fact;
    let result = 1;
    while (n > 0) result = Math.imul(result, n--) >>> 0;
    this.#fact = result;
    this.#status &= ~STATUS_COMPUTING;
    if (this.#status & STATUS_IRQFACT) this.#raise(EDU_FACT_IRQ);
  }

  #runDMA(): void {
    const { src, dst, cnt, cmd } = this.#dma;
    const count = Number(cnt);
    const toRAM = (cmd & BigInt(DMA_TO_PCI)) !== 0n;
    const inside = toRAM ? src : dst;
    const start = Number(inside) - EDU_DMA_START;
    if (start < 0 || count < 0 || start + count > EDU_DMA_SIZE) {
      this.dmaFaults.push(`edu: DMA range 0x${inside.toString(16)}+${count} is outside the device buffer 0x40000–0x40fff`);
    } else if (toRAM) {
      this.dmaWrite(dst & this.#dmaMask, this.#buffer.subarray(start, start + count));
    } else {
      const bytes = this.dmaRead(src & this.#dmaMask, count);
      if (bytes) this.#buffer.set(bytes, start);
    }
    this.#dma.cmd &= ~BigInt(DMA_RUN);
    if (cmd & BigInt(DMA_IRQ)) this.#raise(EDU_DMA_IRQ);
  }

  #raise(bits: number): void {
    this.#irqStatus = (this.#irqStatus | bits) >>> 0;
    if (this.#irqStatus) this.raiseInterrupt(0);
  }

  protected override resetState(): void {
    this.#livenessInverse = 0;
    this.#fact = 0;
    this.#status = 0;
    this.#irqStatus = 0;
    this.#dma = { src: 0n, dst: 0n, cnt: 0n, cmd: 0n };
    this.#buffer.fill(0);
  }
}
