import type { SerialPortInterface } from '../SerialPortInterface';

/**
 * One of a port's two rings (TX or RX) over its buffer and the shared SerialPortInterface indices:
 * what a side may produce into it or consume from it, copying at most twice around the wrap.
 */
export class SerialQueue {
  readonly #mask: number;

  constructor(
    readonly which: 'tx' | 'rx',
    readonly buffer: Uint8Array,
    readonly spi: SerialPortInterface,
  ) {
    if (buffer.length === 0 || (buffer.length & (buffer.length - 1)) !== 0) throw new RangeError(`a serial queue's size must be a power of two; ${buffer.length} is not`);
    this.#mask = buffer.length - 1;
  }

  get capacity(): number {
    return this.buffer.length;
  }

  #pi(): number {
    return this.which === 'tx' ? this.spi.txPI : this.spi.rxPI;
  }

  #ci(): number {
    return this.which === 'tx' ? this.spi.txCI : this.spi.rxCI;
  }

  /** Bytes waiting to be consumed. */
  used(): number {
    const n = (this.#pi() - this.#ci()) >>> 0;
    // A peer that wrote indices past each other gets an empty ring, not a read past the buffer.
    return n > this.capacity ? 0 : n;
  }

  /** Room left for the producer. */
  free(): number {
    return this.capacity - this.used();
  }

  /** Copies as much of `bytes` as fits in; returns how many went in. */
  produce(bytes: Uint8Array): number {
    const n = Math.min(bytes.length, this.free());
    if (n === 0) return 0;
    const pi = this.#pi();
    const at = pi & this.#mask;
    const first = Math.min(n, this.capacity - at);
    this.buffer.set(bytes.subarray(0, first), at);
    if (n > first) this.buffer.set(bytes.subarray(first, n), 0);
    if (this.which === 'tx') this.spi.txPI = pi + n;
    else this.spi.rxPI = pi + n;
    return n;
  }

  /** Takes up to `max` waiting bytes out (a copy). */
  consume(max = Infinity): Uint8Array {
    const n = Math.min(this.used(), max);
    const out = new Uint8Array(n);
    if (n === 0) return out;
    const ci = this.#ci();
    const at = ci & this.#mask;
    const first = Math.min(n, this.capacity - at);
    out.set(this.buffer.subarray(at, at + first), 0);
    if (n > first) out.set(this.buffer.subarray(0, n - first), first);
    if (this.which === 'tx') this.spi.txCI = ci + n;
    else this.spi.rxCI = ci + n;
    return out;
  }

  /** Empties the ring (both indices to zero), as HwResetFIFO does. */
  reset(): void {
    if (this.which === 'tx') this.spi.txPI = this.spi.txCI = 0;
    else this.spi.rxPI = this.spi.rxCI = 0;
  }
}
