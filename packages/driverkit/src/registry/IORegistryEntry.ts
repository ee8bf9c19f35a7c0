import { IOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnBadArgument, kIOReturnNotAttached } from '../IOReturn/IOReturn';
import { OSDictionary } from '../os/OSDictionary';
import { OSObject } from '../os/OSObject';
import type { OSValue } from '../os/OSValue';
import type { IORegistry } from './IORegistry';

/** Mirrors `kIOServicePlane`: the only plane this registry keeps. */
export const kIOServicePlane = 'IOService';

// macOS registry entry IDs are 64-bit and start above 2^32; ours count up from there, process-wide.
let nextEntryID = 0x1_0000_0000n;

/**
 * Mirrors `IORegistryEntry`: a node of the I/O registry with a name, an optional location, a
 * 64-bit registry entry ID, properties, and a parent and children in the IOService plane.
 *
 * Property changes are announced to the registry the entry is attached to, so matching and clients
 * see them.
 */
export class IORegistryEntry extends OSObject {
  readonly #id = nextEntryID++;
  #name: string | null = null;
  #location: string | null = null;
  readonly #properties = OSDictionary.withCapacity(8);
  #parent: IORegistryEntry | null = null;
  readonly #children: IORegistryEntry[] = [];
  #registry: IORegistry | null = null;

  /** Mirrors `GetRegistryEntryID`. */
  GetRegistryEntryID(): bigint {
    return this.#id;
  }

  /** Mirrors `getName`: the name set, else the class name. */
  getName(): string {
    return this.#name ?? this.getClassName();
  }

  /** Mirrors `setName`. */
  setName(name: string): void {
    if (typeof name !== 'string' || name.length === 0 || name.length > 127 || name.includes('/')) {
      throw new IOReturnError(kIOReturnBadArgument, `a registry name must be 1 to 127 characters without "/", got ${JSON.stringify(name)}`);
    }
    this.#name = name;
  }

  /** Mirrors `getLocation`. */
  getLocation(): string | null {
    return this.#location;
  }

  /** Mirrors `setLocation` (the part after `@` in a path). */
  setLocation(location: string): void {
    if (location.includes('/')) throw new IOReturnError(kIOReturnBadArgument, `a location cannot contain "/", got ${JSON.stringify(location)}`);
    this.#location = location;
  }

  /** Mirrors `getProperty`: borrowed, or null. */
  getProperty(key: string): OSObject | null {
    return this.#properties.getObject(key);
  }

  /** Mirrors `setProperty`. */
  setProperty(key: string, value: OSObject | OSValue): void {
    this.#properties.setObject(key, value);
    this.#registry?.propertiesChanged(this, [key]);
  }

  /** Sets several properties at once, announcing one change. */
  setProperties(properties: OSDictionary): void {
    const keys = [...properties.keys()];
    for (const [k, v] of properties) this.#properties.setObject(k, v);
    if (keys.length > 0) this.#registry?.propertiesChanged(this, keys);
  }

  /** Mirrors `removeProperty`. */
  removeProperty(key: string): void {
    if (this.#properties.getObject(key) === null) return;
    this.#properties.removeObject(key);
    this.#registry?.propertiesChanged(this, [key]);
  }

  /** Mirrors `dictionaryWithProperties`: a copy the caller owns. */
  copyProperties(): OSDictionary {
    return this.#properties.copyCollection();
  }

  /** The property dictionary itself, for matching (read only by convention). @internal */
  propertyTable(): OSDictionary {
    return this.#properties;
  }

  /** Mirrors `getParentEntry(gIOServicePlane)`. */
  getParentEntry(): IORegistryEntry | null {
    return this.#parent;
  }

  /** Mirrors `getChildIterator(gIOServicePlane)`, as a snapshot. */
  getChildEntries(): IORegistryEntry[] {
    return [...this.#children];
  }

  /** The registry this entry is attached to, or null. */
  getRegistry(): IORegistry | null {
    return this.#registry;
  }

  /** True while attached to a registry. */
  isInRegistry(): boolean {
    return this.#registry !== null;
  }

  /**
   * Mirrors `attachToParent(parent, gIOServicePlane)`: retains this entry for as long as it stays
   * attached. An entry has one parent here.
   */
  attachToParent(parent: IORegistryEntry): void {
    if (this.#parent) throw new IOReturnError(kIOReturnBadArgument, `${this.getName()} is already attached to ${this.#parent.getName()}`);
    if (!parent.#registry) throw new IOReturnError(kIOReturnNotAttached, `${parent.getName()} is not in a registry`);
    for (let p: IORegistryEntry | null = parent; p; p = p.#parent) {
      if (p === this) throw new IOReturnError(kIOReturnBadArgument, `attaching ${this.getName()} under itself would make a cycle`);
    }
    this.retain();
    this.#parent = parent;
    parent.#children.push(this);
    parent.#registry.entryAttached(this);
  }

  /** Mirrors `detachFromParent`: removes the subtree's entries from the registry and drops the reference attaching took. */
  detachFromParent(): void {
    const parent = this.#parent;
    if (!parent) return;
    parent.#children.splice(parent.#children.indexOf(this), 1);
    this.#parent = null;
    this.#registry?.entryDetached(this);
    this.release();
  }

  /** @internal Called by IORegistry as the entry enters or leaves it. */
  setRegistry(registry: IORegistry | null): void {
    this.#registry = registry;
  }

  /** Mirrors `getPath(gIOServicePlane)`: `IOService:/Parent/Child@location`. */
  getPath(): string {
    const parts: string[] = [];
    for (let e: IORegistryEntry | null = this; e && e.#parent; e = e.#parent) parts.unshift(e.pathComponent());
    return `${kIOServicePlane}:/${parts.join('/')}`;
  }

  /** The entry's path component: `name` or `name@location`. */
  pathComponent(): string {
    return this.#location ? `${this.getName()}@${this.#location}` : this.getName();
  }

  /** The class names from this entry's class up to OSObject, as IOKit's metaclass chain gives them. */
  classHierarchy(): string[] {
    const names: string[] = [];
    for (let p = Object.getPrototypeOf(this); p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
      names.push((p.constructor as { className?: string }).className ?? p.constructor.name);
    }
    return names;
  }

  override getClassName(): string {
    return (this.constructor as { className?: string }).className ?? this.constructor.name;
  }

  override free(): void {
    this.#properties.release();
    super.free();
  }
}
