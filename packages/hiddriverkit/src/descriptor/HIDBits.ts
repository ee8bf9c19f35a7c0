// Bit fields as HID packs them: little-endian bit order, any offset, any width.

/**
 * Reads `size` bits at `bit`, unsigned, touching only the bytes the field spans: reads past a
 * Uint8Array's end would push V8 off its fast path.
 */
export function readBits(data: Uint8Array, bit: number, size: number): number {
  const byte = bit >> 3;
  const shift = bit & 7;
  if (size + shift <= 32 && size < 32) {
    const span = size + shift;
    let w = data[byte]!;
    if (span > 8) w |= data[byte + 1]! << 8;
    if (span > 16) w |= data[byte + 2]! << 16;
    if (span > 24) w |= data[byte + 3]! << 24;
    return size === 31 ? (w >>> shift) & 0x7fffffff : (w >>> shift) & ((1 << size) - 1);
  }
  let v = 0;
  for (let n = 0; n < size; n++) {
    const b = bit + n;
    if (data[b >> 3]! & (1 << (b & 7))) v += 2 ** n;
  }
  return v;
}

/** `v` read from `size` bits as two's complement. */
export const signExtend = (v: number, size: number): number => (size > 0 && v >= 2 ** (size - 1) ? v - 2 ** size : v);

/** Writes `value` (two's complement when negative) into `size` bits at `bit`. */
export function writeBits(data: Uint8Array, bit: number, size: number, value: number): void {
  let v = value < 0 ? value + 2 ** size : value;
  for (let n = 0; n < size; n++) {
    const b = bit + n;
    if (v % 2) data[b >> 3]! |= 1 << (b & 7);
    else data[b >> 3]! &= ~(1 << (b & 7));
    v = Math.floor(v / 2);
  }
}
