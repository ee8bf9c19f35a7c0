import { OSCollection, copyMember, membersEqual, type EqualityMemo } from './OSCollection';
import type { OSObject } from './OSObject';
import { retained, type OSValue } from './OSValue';

/**
 * Mirrors `OSArray`: an ordered collection that retains its members. Methods that take a member also
 * accept a plain JavaScript value ({@link OSValue}), converted with {@link toOSObject}.
 */
export class OSArray extends OSCollection {
  #items: OSObject[] = [];

  /** Mirrors `OSArray::withCapacity` / `OSArrayCreate`. */
  static withCapacity(_capacity = 0): OSArray {
    return new OSArray();
  }

  /** Mirrors `OSArray::withObjects`: an array holding (and retaining) `objects`. */
  static withObjects(objects: Iterable<OSObject | OSValue>): OSArray {
    const a = new OSArray();
    for (const o of objects) a.setObject(o);
    return a;
  }

  /** Mirrors `OSArray::withArray`: a shallow copy. */
  static withArray(array: OSArray): OSArray {
    return OSArray.withObjects(array.#items);
  }

  getCount(): number {
    return this.#items.length;
  }

  /**
   * Mirrors both `OSArray::setObject(anObject)` (append) and `OSArray::setObject(index, anObject)`
   * (insert before `index`). Returns false for an index past the end, as Apple's does.
   */
  setObject(object: OSObject | OSValue): boolean;
  setObject(index: number, object: OSObject | OSValue): boolean;
  setObject(a: number | OSObject | OSValue, b?: OSObject | OSValue): boolean {
    if (arguments.length >= 2) {
      const index = a as number;
      if (!Number.isInteger(index) || index < 0 || index > this.#items.length) return false;
      this.#items.splice(index, 0, retained(b as OSObject | OSValue));
      return true;
    }
    this.#items.push(retained(a as OSObject | OSValue));
    return true;
  }

  /** Appends an object whose reference the array takes over (no extra retain). @internal */
  adoptObject(object: OSObject): void {
    this.#items.push(object);
  }

  /** Mirrors `OSArray::replaceObject`. */
  replaceObject(index: number, object: OSObject | OSValue): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.#items.length) return;
    const old = this.#items[index]!;
    this.#items[index] = retained(object);
    old.release();
  }

  /** Mirrors `OSArray::removeObject(index)`. */
  removeObject(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.#items.length) return;
    const [old] = this.#items.splice(index, 1);
    old!.release();
  }

  /** Mirrors `OSArray::getObject`: borrowed, or null past the end. */
  getObject(index: number): OSObject | null {
    return this.#items[index] ?? null;
  }

  /** Mirrors `OSArray::getLastObject`. */
  getLastObject(): OSObject | null {
    return this.#items[this.#items.length - 1] ?? null;
  }

  /** Mirrors `OSArray::getNextIndexOfObject`: by identity; -1 when absent (Apple's `-1U`). */
  getNextIndexOfObject(object: OSObject, index = 0): number {
    return this.#items.indexOf(object, index);
  }

  /** Mirrors `OSArray::merge`: appends the other array's members. */
  merge(other: OSArray): boolean {
    for (const o of other.#items) this.setObject(o);
    return true;
  }

  /** Mirrors `OSCollection::iterateObjects`: stops when the block returns true; returns whether it did. */
  iterateObjects(block: (object: OSObject) => boolean | void): boolean {
    for (const o of this.#items) if (block(o) === true) return true;
    return false;
  }

  flushCollection(): void {
    const items = this.#items;
    this.#items = [];
    for (const o of items) o.release();
  }

  copyCollection(): OSArray {
    const a = new OSArray();
    for (const o of this.#items) a.#items.push(copyMember(o));
    return a;
  }

  [Symbol.iterator](): IterableIterator<OSObject> {
    return this.#items[Symbol.iterator]();
  }

  protected equalMembers(other: OSArray, memo: EqualityMemo): boolean {
    if (other.#items.length !== this.#items.length) return false;
    for (let i = 0; i < this.#items.length; i++) {
      if (!membersEqual(this.#items[i]!, other.#items[i]!, memo)) return false;
    }
    return true;
  }
}
