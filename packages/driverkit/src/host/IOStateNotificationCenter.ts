import { IOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnBadArgument, kIOReturnExclusiveAccess, kIOReturnNotFound, kIOReturnNotPermitted } from '../IOReturn/IOReturn';
import { OSBoolean } from '../os/OSBoolean';
import { OSDictionary } from '../os/OSDictionary';
import { OSString } from '../os/OSString';

/** Mirrors `kIOStateNotificationItemCreateKey` and its siblings (IOKitKeys.h): the schema keys of an item. */
export const kIOStateNotificationEntitlementSetKey = 'com.apple.iokit.statenotification.entitlement-set';
export const kIOStateNotificationEntitlementGetKey = 'com.apple.iokit.statenotification.entitlement-get';

/** Who is asking: the driver's entitlements decide whether an item's schema lets it set or read. */
export interface IOStateNotificationCaller {
  readonly name: string;
  readonly entitlements: OSDictionary;
}

interface Item {
  value: OSDictionary;
  setEntitlement: string | null;
  getEntitlement: string | null;
  creator: string;
}

/**
 * The system state notification service (Apple's `CopySystemStateNotificationService` and the items
 * `StateNotificationItemCreate/Set/Copy` manage): named dictionaries in the host, shared by every
 * driver, with watchers told of each change. An item's schema may name an entitlement that a setter
 * (kIOStateNotificationEntitlementSetKey) or a reader (…GetKey) must have.
 */
export class IOStateNotificationCenter {
  readonly #items = new Map<string, Item>();
  readonly #watchers = new Map<string, Set<(name: string) => void>>();

  create(name: string, value: OSDictionary | null, caller: IOStateNotificationCaller): void {
    check(name);
    if (this.#items.has(name)) throw new IOReturnError(kIOReturnExclusiveAccess, `StateNotificationItemCreate: ${name} already exists (created by ${this.#items.get(name)!.creator})`);
    const schema = value ?? OSDictionary.withCapacity(0);
    const entitlement = (key: string) => {
      const v = schema.getObject(key);
      return v instanceof OSString ? v.getCStringNoCopy() : null;
    };
    const initial = OSDictionary.withCapacity(schema.getCount());
    for (const [k, v] of schema.entries()) if (k !== kIOStateNotificationEntitlementSetKey && k !== kIOStateNotificationEntitlementGetKey) initial.setObject(k, v);
    this.#items.set(name, { value: initial, setEntitlement: entitlement(kIOStateNotificationEntitlementSetKey), getEntitlement: entitlement(kIOStateNotificationEntitlementGetKey), creator: caller.name });
    this.#notify(name);
  }

  set(name: string, value: OSDictionary, caller: IOStateNotificationCaller): void {
    const item = this.#item(name, 'StateNotificationItemSet');
    require(item.setEntitlement, caller, `StateNotificationItemSet(${name})`);
    if (!(value instanceof OSDictionary)) throw new IOReturnError(kIOReturnBadArgument, `StateNotificationItemSet(${name}): the value is a dictionary`);
    item.value.release();
    item.value = value.copyCollection();
    this.#notify(name);
  }

  /** The item's value, retained for the caller. */
  copy(name: string, caller: IOStateNotificationCaller): OSDictionary {
    const item = this.#item(name, 'StateNotificationItemCopy');
    require(item.getEntitlement, caller, `StateNotificationItemCopy(${name})`);
    return item.value.copyCollection();
  }

  /** Calls `listener` with an item's name each time it is created or set; returns what stops it. */
  watch(names: readonly string[], listener: (name: string) => void): () => void {
    for (const n of names) check(n);
    for (const n of names) {
      const set = this.#watchers.get(n) ?? new Set();
      set.add(listener);
      this.#watchers.set(n, set);
    }
    return () => {
      for (const n of names) this.#watchers.get(n)?.delete(listener);
    };
  }

  #item(name: string, what: string): Item {
    check(name);
    const item = this.#items.get(name);
    if (!item) throw new IOReturnError(kIOReturnNotFound, `${what}: no state notification item ${name}`);
    return item;
  }

  #notify(name: string): void {
    for (const l of this.#watchers.get(name) ?? []) l(name);
  }
}

function check(name: string): void {
  if (typeof name !== 'string' || name.length === 0 || name.length > 128) throw new IOReturnError(kIOReturnBadArgument, `a state notification item is named (1–128 characters), not ${JSON.stringify(name)}`);
}

function require(entitlement: string | null, caller: IOStateNotificationCaller, what: string): void {
  if (!entitlement) return;
  const v = caller.entitlements.getObject(entitlement);
  if (!(v instanceof OSBoolean && v.isTrue())) throw new IOReturnError(kIOReturnNotPermitted, `${what}: ${caller.name} lacks the ${entitlement} entitlement the item requires`);
}
