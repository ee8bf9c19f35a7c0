import { OSCollection, copyMember, membersEqual, type EqualityMemo } from './OSCollection';
import type { OSObject } from './OSObject';
import { retained, type OSValue } from './OSValue';

/**
 * Mirrors `OSSet`: an unordered collection of distinct objects. Membership is by identity, as in
 * Apple's (two equal OSStrings are two members); `isEqualTo` compares by value, so a set survives a
 * serialization round trip as equal.
 */
export class OSSet extends OSCollection {
  #items = new Set<OSObject>();

  /** Mirrors `OSSet::withCapacity`. */
  static withCapacity(_capacity = 0): OSSet {
    return new OSSet();
  }

  /** Mirrors `OSSet::withObjects`. */
  static withObjects(objects: Iterable<OSObject | OSValue>): OSSet {
    const s = new OSSet();
    for (const o of objects) s.setObject(o);
    return s;
  }

  getCount(): number {
    return this.#items.size;
  }

  /** Mirrors `OSSet::setObject`: adds (retaining) `object`; false if it is already a member. */
  setObject(object: OSObject | OSValue): boolean {
    if (typeof object === 'object' && object !== null && this.#items.has(object as OSObject)) return false;
    this.#items.add(retained(object));
    return true;
  }

  /** Adds an object whose reference the set takes over; false (and released) if already present. @internal */
  adoptObject(object: OSObject): boolean {
    if (this.#items.has(object)) {
      object.release();
      return false;
    }
    this.#items.add(object);
    return true;
  }

  /** Mirrors `OSSet::removeObject`. */
  removeObject(object: OSObject): void {
    if (this.#items.delete(object)) object.release();
  }

  /** Mirrors `OSSet::containsObject`. */
  containsObject(object: OSObject): boolean {
    return this.#items.has(object);
  }

  /** Mirrors `OSSet::member`. */
  member(object: OSObject): boolean {
    return this.#items.has(object);
  }

  /** Mirrors `OSSet::getAnyObject`. */
  getAnyObject(): OSObject | null {
    for (const o of this.#items) return o;
    return null;
  }

  /** Mirrors `OSSet::merge`. */
  merge(other: OSSet): boolean {
    for (const o of other.#items) this.setObject(o);
    return true;
  }

  /** Mirrors `OSCollection::iterateObjects`: stops when the block returns true; returns whether it did. */
  iterateObjects(block: (object: OSObject) => boolean | void): boolean {
    for (const o of this.#items) if (block(o) === true) return true;
    return false;
  }

  flushCollection(): void {
    const items = [...this.#items];
    this.#items.clear();
    for (const o of items) o.release();
  }

  copyCollection(): OSSet {
    const s = new OSSet();
    for (const o of this.#items) s.#items.add(copyMember(o));
    return s;
  }

  [Symbol.iterator](): IterableIterator<OSObject> {
    return this.#items[Symbol.iterator]();
  }

  protected equalMembers(other: OSSet, memo: EqualityMemo): boolean {
    if (other.#items.size !== this.#items.size) return false;
    const unmatched = [...other.#items];
    for (const o of this.#items) {
      const i = unmatched.findIndex((u) => membersEqual(o, u, memo));
      if (i < 0) return false;
      unmatched.splice(i, 1);
    }
    return true;
  }
}
