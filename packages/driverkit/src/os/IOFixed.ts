/**
 * Mirrors `IOFixed`: a signed 16.16 fixed-point number in an `int32_t`, as HID event dispatchers take
 * pointer and digitizer coordinates.
 */
export type IOFixed = number;

/** Mirrors `kIOFixedOne` (1.0). */
export const kIOFixedOne: IOFixed = 0x10000;

/** Converts a JavaScript number to IOFixed, rounding to the nearest 1/65536 and saturating at the int32 range. */
export function IOFixedFromDouble(value: number): IOFixed {
  const raw = Math.round(value * kIOFixedOne);
  if (Number.isNaN(raw)) throw new RangeError('IOFixedFromDouble: NaN has no fixed-point value');
  return Math.max(-0x8000_0000, Math.min(0x7fff_ffff, raw)) | 0;
}

/** Converts IOFixed back to a JavaScript number. */
export function IOFixedToDouble(value: IOFixed): number {
  return (value | 0) / kIOFixedOne;
}

/** An integer as IOFixed (`value << 16`), saturating. */
export function IOFixedFromInt(value: number): IOFixed {
  return IOFixedFromDouble(Math.trunc(value));
}

/** The integer part, rounded toward negative infinity as an arithmetic shift does. */
export function IOFixedToInt(value: IOFixed): number {
  return (value | 0) >> 16;
}

/** Mirrors `IOFixedMultiply(a, b)`: `(a * b) >> 16` computed in 64 bits, truncated to int32. */
export function IOFixedMultiply(a: IOFixed, b: IOFixed): IOFixed {
  return Number(BigInt.asIntN(32, (BigInt(a | 0) * BigInt(b | 0)) >> 16n));
}

/** Mirrors `IOFixedDivide(a, b)`: `(a << 16) / b` computed in 64 bits, truncated to int32. */
export function IOFixedDivide(a: IOFixed, b: IOFixed): IOFixed {
  if ((b | 0) === 0) throw new RangeError('IOFixedDivide: division by zero');
  return Number(BigInt.asIntN(32, (BigInt(a | 0) << 16n) / BigInt(b | 0)));
}
