import { OSCollection, copyMember, membersEqual, type EqualityMemo } from './OSCollection';
import type { OSObject } from './OSObject';
import { OSString } from './OSString';
import { OSSymbol } from './OSSymbol';
import { retained, type OSValue } from './OSValue';

/** A dictionary key: an OSSymbol, an OSString (interned on use), or a plain string. */
export type OSDictionaryKey = OSSymbol | OSString | string;

/**
 * Mirrors `OSDictionary`: string-keyed, insertion-ordered, retaining its values. Keys may be given as
 * OSSymbol, OSString or plain strings; they are OSSymbols when handed back. Values may be plain
 * JavaScript values ({@link OSValue}), converted on the way in.
 */
export class OSDictionary extends OSCollection {
  #map = new Map<string, OSObject>();

  /** Mirrors `OSDictionary::withCapacity` / `OSDictionaryCreate`. */
  static withCapacity(_capacity = 0): OSDictionary {
    return new OSDictionary();
  }

  /** Mirrors `OSDictionary::withDictionary`: a shallow copy (values shared and retained). */
  static withDictionary(other: OSDictionary): OSDictionary {
    const d = new OSDictionary();
    for (const [k, v] of other.#map) d.#map.set(k, v.retain());
    return d;
  }

  /** Mirrors `OSDictionary::withObjects(objects, keys, count)`. */
  static withObjects(objects: Array<OSObject | OSValue>, keys: OSDictionaryKey[]): OSDictionary {
    if (objects.length !== keys.length) {
      throw new TypeError(`OSDictionary.withObjects: ${objects.length} objects for ${keys.length} keys`);
    }
    const d = new OSDictionary();
    keys.forEach((k, i) => d.setObject(k, objects[i]!));
    return d;
  }

  getCount(): number {
    return this.#map.size;
  }

  /** Mirrors `OSDictionary::setObject`: stores (retaining) `value`, releasing any value it replaces. */
  setObject(key: OSDictionaryKey, value: OSObject | OSValue): boolean {
    const k = keyString(key);
    const v = retained(value);
    const old = this.#map.get(k);
    this.#map.set(k, v);
    old?.release();
    return true;
  }

  /** Stores a value whose reference the dictionary takes over (no extra retain). @internal */
  adoptObject(key: string, value: OSObject): void {
    const old = this.#map.get(key);
    this.#map.set(key, value);
    old?.release();
  }

  /** Visits entries in order without allocating an entry per step (the serializer's hot path). @internal */
  forEachEntry(fn: (value: OSObject, key: string) => void): void {
    this.#map.forEach(fn);
  }

  /**
   * Appends an entry whose reference the dictionary takes over, for a decoder building a dictionary
   * from scratch: returns false, changing nothing it can undo, if the key was already present, so the
   * decoder can refuse the message. @internal
   */
  appendDecoded(key: string, value: OSObject): boolean {
    const map = this.#map;
    const size = map.size;
    return map.set(key, value).size !== size;
  }

  /** Mirrors `OSDictionary::getObject`: borrowed, or null when absent. */
  getObject(key: OSDictionaryKey): OSObject | null {
    return this.#map.get(keyString(key)) ?? null;
  }

  /** Mirrors `OSDictionary::removeObject`. */
  removeObject(key: OSDictionaryKey): void {
    const k = keyString(key);
    const old = this.#map.get(k);
    if (old === undefined) return;
    this.#map.delete(k);
    old.release();
  }

  /** Mirrors `OSDictionary::merge`: copies the other dictionary's entries over this one's. */
  merge(other: OSDictionary): boolean {
    for (const [k, v] of other.#map) this.setObject(k, v);
    return true;
  }

  /**
   * Mirrors `OSDictionary::iterateObjects(^(const OSSymbol *key, OSObject *object))`: stops when the
   * block returns true; returns whether it did.
   */
  iterateObjects(block: (key: OSSymbol, object: OSObject) => boolean | void): boolean {
    for (const [k, v] of this.#map) if (block(OSSymbol.withCString(k), v) === true) return true;
    return false;
  }

  /** The keys as strings, in insertion order. */
  keys(): IterableIterator<string> {
    return this.#map.keys();
  }

  /** `[key, value]` pairs with string keys, in insertion order. */
  entries(): IterableIterator<[string, OSObject]> {
    return this.#map.entries();
  }

  [Symbol.iterator](): IterableIterator<[string, OSObject]> {
    return this.#map.entries();
  }

  flushCollection(): void {
    const values = [...this.#map.values()];
    this.#map.clear();
    for (const v of values) v.release();
  }

  copyCollection(): OSDictionary {
    const d = new OSDictionary();
    for (const [k, v] of this.#map) d.#map.set(k, copyMember(v));
    return d;
  }

  protected equalMembers(other: OSDictionary, memo: EqualityMemo): boolean {
    if (other.#map.size !== this.#map.size) return false;
    for (const [k, v] of this.#map) {
      const w = other.#map.get(k);
      if (w === undefined || !membersEqual(v, w, memo)) return false;
    }
    return true;
  }
}

function keyString(key: OSDictionaryKey): string {
  if (typeof key === 'string') return key;
  if (key instanceof OSString) return key.getCStringNoCopy();
  throw new TypeError(`OSDictionary keys are strings, OSString or OSSymbol; got ${describe(key)}`);
}

function describe(v: unknown): string {
  return v === null ? 'null' : typeof v === 'object' ? (v.constructor?.name ?? 'object') : typeof v;
}
