import { OSContainer } from './OSContainer';
import type { OSObject } from './OSObject';

/**
 * Pairs already compared (or being compared) in one deep `isEqualTo`. Decoded data may share
 * sub-objects through back-references; without this a small hostile input could make comparison
 * take exponential time.
 * @internal
 */
export type EqualityMemo = Map<OSObject, Set<OSObject>>;

/**
 * Mirrors `OSCollection`: the base of OSArray, OSDictionary and OSSet. A collection retains what it
 * holds and releases it when the member is removed or the collection is freed.
 */
export abstract class OSCollection extends OSContainer {
  /** Mirrors `OSCollection::getCount`. */
  abstract getCount(): number;

  /** Mirrors `OSCollection::flushCollection`: removes (and releases) every member. */
  abstract flushCollection(): void;

  /**
   * Mirrors `OSCollection::copyCollection`: a copy in which nested collections are copied too and
   * other members are shared (retained), as Apple's deep copy does.
   */
  abstract copyCollection(): OSCollection;

  /** Mirrors `OSCollection::getCapacity`. JavaScript storage grows as needed; this is the count. */
  getCapacity(): number {
    return this.getCount();
  }

  /** Mirrors `OSCollection::ensureCapacity`. Storage grows on demand, so this only reports. */
  ensureCapacity(newCapacity: number): number {
    return Math.max(newCapacity, this.getCount());
  }

  override free(): void {
    this.flushCollection();
    super.free();
  }

  override isEqualTo(other: unknown): boolean {
    return this.isEqualToWithMemo(other, new Map());
  }

  /** @internal */
  isEqualToWithMemo(other: unknown, memo: EqualityMemo): boolean {
    if (other === this) return true;
    if (!(other instanceof OSCollection) || other.constructor !== this.constructor) return false;
    let seen = memo.get(this);
    if (seen?.has(other)) return true;
    if (!seen) memo.set(this, (seen = new Set()));
    seen.add(other);
    return this.equalMembers(other, memo);
  }

  /** @internal */
  protected abstract equalMembers(other: OSCollection, memo: EqualityMemo): boolean;
}

/** Deep equality of two members, sharing the memo across nested collections. @internal */
export function membersEqual(a: OSObject, b: OSObject, memo: EqualityMemo): boolean {
  if (a === b) return true;
  if (a instanceof OSCollection) return a.isEqualToWithMemo(b, memo);
  return a.isEqualTo(b);
}

/** Copies a member for `copyCollection`: collections deeply, anything else shared and retained. @internal */
export function copyMember(o: OSObject): OSObject {
  return o instanceof OSCollection ? o.copyCollection() : o.retain();
}
