import { IOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnBadArgument } from '../IOReturn/IOReturn';

// IOLib's allocation calls, for ports that keep them. JavaScript memory is collected, so these hand
// out typed arrays and check what C would have left to the programmer: sizes, and that IOFree is
// given the size the block was allocated with.

const sizes = new WeakMap<Uint8Array, number>();

function checked(size: number, what: string): number {
  if (!Number.isSafeInteger(size) || size < 0) throw new IOReturnError(kIOReturnBadArgument, `${what}: size ${size} is not a byte count`);
  return size;
}

/** Mirrors `IOMalloc(size)`: `size` bytes. They are zero here too (JavaScript has no uninitialised memory). */
export function IOMalloc(size: number): Uint8Array {
  const block = new Uint8Array(checked(size, 'IOMalloc'));
  sizes.set(block, size);
  return block;
}

/** Mirrors `IOMallocZero(size)`: `size` zeroed bytes. */
export function IOMallocZero(size: number): Uint8Array {
  return IOMalloc(checked(size, 'IOMallocZero'));
}

/**
 * Mirrors `IOFree(address, size)`: gives the block back (to the collector). A size other than the
 * block's is the bug it would be in C, and throws kIOReturnBadArgument; so does freeing a block twice.
 */
export function IOFree(block: Uint8Array, size: number): void {
  const allocated = sizes.get(block);
  if (allocated === undefined) throw new IOReturnError(kIOReturnBadArgument, 'IOFree: the block was not allocated with IOMalloc, or was freed already');
  if (allocated !== size) throw new IOReturnError(kIOReturnBadArgument, `IOFree: the block has ${allocated} bytes, not ${size}`);
  sizes.delete(block);
}

/** Mirrors `IONew(type, count)` / `IONewZero`: `count` values made by `make` (IONew of a struct type). */
export function IONew<T>(make: (index: number) => T, count: number): T[] {
  return Array.from({ length: checked(count, 'IONew') }, (_, i) => make(i));
}

/**
 * Mirrors `IOSafeDeleteNULL(pointer, type, count)`: returns null, for `ivars = IOSafeDeleteNULL(ivars, …)`
 * where the original clears its pointer. Releases OSObjects it is given, as the original's callers do
 * before deleting an array of them.
 */
export function IOSafeDeleteNULL<T>(values: T | T[] | null | undefined, _count = 0): null {
  for (const v of Array.isArray(values) ? values : [values]) (v as { release?: () => void } | null | undefined)?.release?.();
  return null;
}
