import type { OSObject } from './OSObject';

// Matched by prototype rather than constructor signature, so classes whose constructors are private
// (OSNumber, OSBoolean: created only through their factories) can be named.
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type ClassOf<T> = Function & { prototype: T };

/** Mirrors `OSDynamicCast(Class, object)`: `object` if it is a `Class` (or a subclass), else null. */
export function OSDynamicCast<T extends OSObject>(cls: ClassOf<T>, object: unknown): T | null {
  return object instanceof cls ? (object as T) : null;
}

/**
 * Mirrors `OSRequiredCast(Class, object)`: `object` if it is a `Class`. Where Apple's panics, this
 * throws a TypeError naming the expected and the actual class.
 */
export function OSRequiredCast<T extends OSObject>(cls: ClassOf<T>, object: unknown): T {
  if (object instanceof cls) return object as T;
  const actual =
    object === null || object === undefined
      ? String(object)
      : typeof object === 'object'
        ? (object.constructor?.name ?? 'object')
        : typeof object;
  throw new TypeError(`OSRequiredCast: expected ${cls.name}, got ${actual}`);
}
