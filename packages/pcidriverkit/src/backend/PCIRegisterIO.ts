import { readSync, writeSync } from 'node:fs';

/**
 * One little-endian register access of `width` bytes at `position` of a file (a sysfs `config`, a
 * VFIO device region) through `scratch` (8 bytes). Returns null when the read failed or came up short,
 * for the caller to answer all ones; a thrown error (the device went away) propagates.
 */
export function readRegister(fd: number, scratch: Buffer, position: number, width: 1 | 2 | 4 | 8): number | bigint | null {
  if (readSync(fd, scratch, 0, width, position) !== width) return null;
  return width === 1 ? scratch[0]! : width === 2 ? scratch.readUInt16LE(0) : width === 4 ? scratch.readUInt32LE(0) : scratch.readBigUInt64LE(0);
}

/** Writes `value` as one `width`-byte little-endian access at `position`. */
export function writeRegister(fd: number, scratch: Buffer, position: number, width: 1 | 2 | 4 | 8, value: number | bigint): void {
  if (width === 8) scratch.writeBigUInt64LE(BigInt.asUintN(64, BigInt(value)));
  else if (width === 4) scratch.writeUInt32LE(Number(value) >>> 0);
  else if (width === 2) scratch.writeUInt16LE(Number(value) & 0xffff);
  else scratch[0] = Number(value) & 0xff;
  writeSync(fd, scratch, 0, width, position);
}
