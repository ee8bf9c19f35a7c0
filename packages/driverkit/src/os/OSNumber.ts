import { OSContainer } from './OSContainer';

/** The widths an integer OSNumber may have. */
export type OSNumberBits = 8 | 16 | 32 | 64;

/**
 * The width codes OSSerializeBinary uses for floating-point numbers: 31 for a float, 63 for a double.
 * No integer width is odd, so they cannot be confused.
 */
export const kOSNumberFloatBits = 31;
export const kOSNumberDoubleBits = 63;

const TWO_32 = 0x1_0000_0000;
const scratch = new DataView(new ArrayBuffer(8));

/**
 * Mirrors `OSNumber`: an integer of 8, 16, 32 or 64 bits, or (as DriverKit's OSNumber allows) a
 * float or double.
 *
 * The integer value is kept exactly, as its two 32-bit halves, so 64-bit values survive without
 * rounding; `unsigned64BitValue()` returns a bigint. Whether the number was created from a negative
 * value is remembered (`isSigned()`), so property lists and plain-JS conversion give `-1` back as
 * `-1`. As in Apple's runtime, equality compares the stored bits, not the sign flag or the width, and
 * the binary wire format carries no sign: a number decoded from it is unsigned until read with a
 * `signed…Value()` accessor.
 */
export class OSNumber extends OSContainer {
  #lo: number;
  #hi: number;
  #bits: number;
  #signed: boolean;

  private constructor(lo: number, hi: number, bits: number, signed: boolean) {
    super();
    this.#lo = lo;
    this.#hi = hi;
    this.#bits = bits;
    this.#signed = signed;
  }

  /**
   * Mirrors `OSNumber::withNumber(value, numberOfBits)` / `OSNumberCreate`.
   *
   * Differs from Apple's in one way: a value that does not fit `numberOfBits` (as a signed or an
   * unsigned integer) throws a RangeError instead of being silently truncated.
   */
  static withNumber(value: number | bigint, numberOfBits: OSNumberBits): OSNumber {
    checkBits(numberOfBits);
    if (typeof value === 'number') {
      if (!Number.isSafeInteger(value)) {
        throw new RangeError(`OSNumber.withNumber needs a safe integer (or a bigint), got ${value}; use withDouble for fractions`);
      }
      const min = numberOfBits === 64 ? Number.MIN_SAFE_INTEGER : -(2 ** (numberOfBits - 1));
      const max = numberOfBits === 64 ? Number.MAX_SAFE_INTEGER : 2 ** numberOfBits - 1;
      if (value < min || value > max) throw new RangeError(`${value} does not fit in a ${numberOfBits}-bit OSNumber`);
      const n = new OSNumber(0, 0, numberOfBits, value < 0);
      n.#setInteger(value);
      return n;
    }
    if (typeof value !== 'bigint') throw new TypeError(`OSNumber.withNumber expects a number or a bigint, got ${typeof value}`);
    const width = BigInt(numberOfBits);
    if (value < -(1n << (width - 1n)) || value >= 1n << width) {
      throw new RangeError(`${value} does not fit in a ${numberOfBits}-bit OSNumber`);
    }
    const masked = BigInt.asUintN(64, value);
    const n = new OSNumber(Number(masked & 0xffffffffn), Number(masked >> 32n), numberOfBits, value < 0n);
    n.#mask();
    return n;
  }

  /** Mirrors DriverKit's `OSNumberCreate(double)`: a 64-bit floating-point number. */
  static withDouble(value: number): OSNumber {
    if (typeof value !== 'number') throw new TypeError(`OSNumber.withDouble expects a number, got ${typeof value}`);
    scratch.setFloat64(0, value, true);
    return new OSNumber(scratch.getUint32(0, true), scratch.getUint32(4, true), kOSNumberDoubleBits, false);
  }

  /** Mirrors DriverKit's `OSNumberCreate(float)`: a 32-bit floating-point number. */
  static withFloat(value: number): OSNumber {
    if (typeof value !== 'number') throw new TypeError(`OSNumber.withFloat expects a number, got ${typeof value}`);
    scratch.setFloat32(0, value, true);
    return new OSNumber(scratch.getUint32(0, true), 0, kOSNumberFloatBits, false);
  }

  /**
   * Builds a number from the two 32-bit words of the binary format, masked to its width as Apple's
   * `OSNumber::withNumber` masks. The decoder's entry point; not for general use.
   * @internal
   */
  static fromWords(lo: number, hi: number, bits: number): OSNumber {
    const n = new OSNumber(lo >>> 0, hi >>> 0, bits, false);
    n.#mask();
    return n;
  }

  /** Mirrors `OSNumber::numberOfBits`: 8, 16, 32 or 64; 31 for a float and 63 for a double. */
  numberOfBits(): number {
    return this.#bits;
  }

  /** Mirrors `OSNumber::numberOfBytes`. */
  numberOfBytes(): number {
    return (this.#bits + 1) >> 3;
  }

  /** True when the number was made from a negative value (see the class notes). */
  isSigned(): boolean {
    return this.#signed;
  }

  /** True for a float or double. */
  isFloat(): boolean {
    return this.#bits === kOSNumberDoubleBits || this.#bits === kOSNumberFloatBits;
  }

  /** The low and high 32-bit words, as the binary format stores them. @internal */
  words(): [lo: number, hi: number] {
    return [this.#lo, this.#hi];
  }

  /** The low 32-bit word (the serializer's hot path: no array). @internal */
  loWord(): number {
    return this.#lo;
  }

  /** The high 32-bit word. @internal */
  hiWord(): number {
    return this.#hi;
  }

  /** Mirrors `OSNumber::unsigned8BitValue`. */
  unsigned8BitValue(): number {
    return this.#integerLo() & 0xff;
  }

  /** Mirrors `OSNumber::unsigned16BitValue`. */
  unsigned16BitValue(): number {
    return this.#integerLo() & 0xffff;
  }

  /** Mirrors `OSNumber::unsigned32BitValue`. */
  unsigned32BitValue(): number {
    return this.#integerLo() >>> 0;
  }

  /** Mirrors `OSNumber::unsigned64BitValue`. */
  unsigned64BitValue(): bigint {
    if (this.isFloat()) return BigInt.asUintN(64, BigInt(Math.trunc(this.doubleValue())));
    return (BigInt(this.#hi) << 32n) | BigInt(this.#lo);
  }

  /** Mirrors `OSNumber::signed8BitValue` (DriverKit). */
  signed8BitValue(): number {
    return (this.#integerLo() << 24) >> 24;
  }

  /** Mirrors `OSNumber::signed16BitValue`. */
  signed16BitValue(): number {
    return (this.#integerLo() << 16) >> 16;
  }

  /** Mirrors `OSNumber::signed32BitValue`. */
  signed32BitValue(): number {
    return this.#integerLo() | 0;
  }

  /** Mirrors `OSNumber::signed64BitValue`. */
  signed64BitValue(): bigint {
    return BigInt.asIntN(64, this.unsigned64BitValue());
  }

  /** Mirrors `OSNumber::doubleValue`: the float value, or the integer converted (signed if {@link isSigned}). */
  doubleValue(): number {
    if (this.#bits === kOSNumberDoubleBits) {
      scratch.setUint32(0, this.#lo, true);
      scratch.setUint32(4, this.#hi, true);
      return scratch.getFloat64(0, true);
    }
    if (this.#bits === kOSNumberFloatBits) {
      scratch.setUint32(0, this.#lo, true);
      return scratch.getFloat32(0, true);
    }
    return Number(this.#integerValue());
  }

  /** Mirrors `OSNumber::floatValue`. */
  floatValue(): number {
    return Math.fround(this.doubleValue());
  }

  /**
   * The value as JavaScript sees it: a number when it is exact as one, otherwise a bigint. Negative
   * only when the number {@link isSigned}.
   */
  value(): number | bigint {
    if (this.isFloat()) return this.doubleValue();
    const v = this.#integerValue();
    if (typeof v === 'number') return v;
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }

  /** Mirrors `OSNumber::setValue`: keeps the width, masks to it. */
  setValue(value: number | bigint): void {
    if (this.isFloat()) {
      const other = this.#bits === kOSNumberDoubleBits ? OSNumber.withDouble(Number(value)) : OSNumber.withFloat(Number(value));
      [this.#lo, this.#hi] = other.words();
      return;
    }
    const masked = BigInt.asUintN(64, BigInt(value));
    this.#lo = Number(masked & 0xffffffffn);
    this.#hi = Number(masked >> 32n);
    this.#signed = value < 0;
    this.#mask();
  }

  /** Mirrors `OSNumber::addValue`: adds, wrapping at the width as the C++ does. */
  addValue(delta: number | bigint): void {
    if (this.isFloat()) {
      this.setValue(this.doubleValue() + Number(delta));
      return;
    }
    const sum = this.unsigned64BitValue() + BigInt(delta);
    const signed = this.#signed;
    this.setValue(BigInt.asUintN(this.#bits, sum));
    this.#signed = signed;
  }

  override isEqualTo(other: unknown): boolean {
    if (!(other instanceof OSNumber)) return false;
    if (this.isFloat() || other.isFloat()) {
      // A stored NaN equals a stored NaN: otherwise no property holding one would survive a round trip.
      const a = this.doubleValue();
      const b = other.doubleValue();
      return a === b || (Number.isNaN(a) && Number.isNaN(b));
    }
    return this.#lo === other.#lo && this.#hi === other.#hi;
  }

  override toString(): string {
    return String(this.value());
  }

  #setInteger(value: number): void {
    if (value >= 0) {
      this.#lo = value % TWO_32;
      this.#hi = Math.floor(value / TWO_32);
    } else {
      const big = BigInt.asUintN(64, BigInt(value));
      this.#lo = Number(big & 0xffffffffn);
      this.#hi = Number(big >> 32n);
    }
    this.#mask();
  }

  #mask(): void {
    switch (this.#bits) {
      case 8:
        this.#lo &= 0xff;
        this.#hi = 0;
        break;
      case 16:
        this.#lo &= 0xffff;
        this.#hi = 0;
        break;
      case 32:
      case kOSNumberFloatBits:
        this.#hi = 0;
        break;
      default:
        break;
    }
    this.#lo >>>= 0;
    this.#hi >>>= 0;
  }

  #integerLo(): number {
    if (this.isFloat()) return Number(BigInt.asUintN(32, BigInt(Math.trunc(this.doubleValue()))));
    return this.#lo;
  }

  #integerValue(): number | bigint {
    if (this.#hi === 0 && !this.#signed) return this.#lo;
    if (!this.#signed) {
      return this.#hi < 0x200000 ? this.#hi * TWO_32 + this.#lo : (BigInt(this.#hi) << 32n) | BigInt(this.#lo);
    }
    switch (this.#bits) {
      case 8:
        return this.signed8BitValue();
      case 16:
        return this.signed16BitValue();
      case 32:
        return this.signed32BitValue();
      default:
        return this.signed64BitValue();
    }
  }
}

function checkBits(bits: number): void {
  if (bits !== 8 && bits !== 16 && bits !== 32 && bits !== 64) {
    throw new RangeError(`OSNumber width must be 8, 16, 32 or 64 bits, got ${bits}`);
  }
}
