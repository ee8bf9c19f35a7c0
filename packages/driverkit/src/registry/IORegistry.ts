import { IOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnBadArgument } from '../IOReturn/IOReturn';
import { OSArray } from '../os/OSArray';
import { OSDictionary } from '../os/OSDictionary';
import { fromOSObject } from '../os/OSValue';
import { OSSerializeXML } from '../plist/OSPropertyList';
import { IORegistryEntry, kIOServicePlane } from './IORegistryEntry';

/** What the registry announces: entries arriving and leaving, and property changes. */
export interface IORegistryListener {
  attached?(entry: IORegistryEntry): void;
  detached?(entry: IORegistryEntry): void;
  propertiesChanged?(entry: IORegistryEntry, keys: string[]): void;
  /** A service called RegisterService: matching runs for it. */
  registered?(entry: IORegistryEntry): void;
  /** A service finished terminating (its clients stopped, it stopped, it left the registry). */
  terminated?(entry: IORegistryEntry): void;
}

/** The root entry, named `Root` as on macOS (where ioreg shows its class as IORegistryEntry); its path is `IOService:/`. */
export class IORegistryRoot extends IORegistryEntry {
  static readonly className = 'IORegistryEntry';
}

/**
 * The I/O registry: a tree of {@link IORegistryEntry} under a root, with lookup by registry entry ID
 * and by path, depth-first iteration, and dumps as JSON or an XML property list (ioreg's `-a` form).
 * Mirrors what `IORegistryEntry::getRegistryRoot`, `IORegistryEntryFromPath` and
 * `IORegistryEntryIDMatching` give on macOS.
 */
export class IORegistry {
  /**
   * The registry drivers in this process see (IOServiceNotificationDispatchSource's default): the
   * host's, or a driver process's own. Set by the first host created and by the driver runtime.
   */
  static current: IORegistry | null = null;

  readonly root: IORegistryRoot;
  readonly #byID = new Map<bigint, IORegistryEntry>();
  readonly #listeners = new Set<IORegistryListener>();

  constructor() {
    this.root = new IORegistryRoot();
    this.root.setName('Root');
    this.root.setRegistry(this);
    this.#byID.set(this.root.GetRegistryEntryID(), this.root);
  }

  /** Subscribes to registry changes; returns the unsubscribe function. */
  listen(listener: IORegistryListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Mirrors `IORegistryEntryIDMatching` + lookup: the entry with `id`, or null. */
  fromID(id: bigint): IORegistryEntry | null {
    return this.#byID.get(id) ?? null;
  }

  /**
   * Mirrors `IORegistryEntryFromPath`: `IOService:/IOResources`, `/IOResources` or
   * `IOResources/Child@1`. A component without `@location` matches an entry by name alone.
   */
  fromPath(path: string): IORegistryEntry | null {
    let rest = path;
    const colon = rest.indexOf(':');
    if (colon >= 0) {
      if (rest.slice(0, colon) !== kIOServicePlane) throw new IOReturnError(kIOReturnBadArgument, `unknown registry plane "${rest.slice(0, colon)}" (only ${kIOServicePlane})`);
      rest = rest.slice(colon + 1);
    }
    let entry: IORegistryEntry = this.root;
    for (const part of rest.split('/').filter(Boolean)) {
      const at = part.indexOf('@');
      const name = at >= 0 ? part.slice(0, at) : part;
      const location = at >= 0 ? part.slice(at + 1) : null;
      const next: IORegistryEntry | undefined = entry.getChildEntries().find((c) => c.getName() === name && (location === null || c.getLocation() === location));
      if (!next) return null;
      entry = next;
    }
    return entry;
  }

  /** Every entry, depth first from the root (the root first). */
  *entries(from: IORegistryEntry = this.root): Generator<IORegistryEntry> {
    yield from;
    for (const c of from.getChildEntries()) yield* this.entries(c);
  }

  /** The tree as plain JSON-able data: name, class, id, location, properties, children. */
  toJSON(from: IORegistryEntry = this.root): IORegistryJSON {
    const props = from.copyProperties();
    const json: IORegistryJSON = {
      name: from.getName(),
      className: from.getClassName(),
      id: `0x${from.GetRegistryEntryID().toString(16)}`,
      ...(from.getLocation() ? { location: from.getLocation()! } : {}),
      properties: jsonable(fromOSObject(props)) as Record<string, unknown>,
      children: from.getChildEntries().map((c) => this.toJSON(c)),
    };
    props.release();
    return json;
  }

  /** The tree as an XML property list, as `ioreg -a` prints it (`IORegistryEntryChildren`, `IOObjectClass`, …). */
  toPlist(from: IORegistryEntry = this.root): string {
    const d = this.toDictionary(from);
    const xml = OSSerializeXML(d);
    d.release();
    return xml;
  }

  /**
   * The tree as one dictionary per entry, as `ioreg -a` structures it: the entry's properties plus
   * `IORegistryEntryName`, `IOObjectClass`, `IORegistryEntryID`, `IORegistryEntryLocation`,
   * `IOObjectState` (for services: registered, matched, active) and `IORegistryEntryChildren`.
   */
  toDictionary(from: IORegistryEntry = this.root): OSDictionary {
    const d = from.copyProperties();
    d.setObject('IORegistryEntryName', from.getName());
    d.setObject('IOObjectClass', from.getClassName());
    d.setObject('IORegistryEntryID', from.GetRegistryEntryID());
    if (from.getLocation()) d.setObject('IORegistryEntryLocation', from.getLocation()!);
    const state = (from as { describeState?: () => string }).describeState?.();
    if (state) d.setObject('IOObjectState', state);
    const children = from.getChildEntries();
    if (children.length) {
      const a = OSArray.withCapacity(children.length);
      for (const c of children) {
        const cd = this.toDictionary(c);
        a.setObject(cd);
        cd.release();
      }
      d.setObject('IORegistryEntryChildren', a);
      a.release();
    }
    return d;
  }

  /** @internal */
  entryAttached(entry: IORegistryEntry): void {
    for (const e of this.entries(entry)) {
      e.setRegistry(this);
      this.#byID.set(e.GetRegistryEntryID(), e);
    }
    for (const l of this.#listeners) l.attached?.(entry);
  }

  /** @internal */
  entryDetached(entry: IORegistryEntry): void {
    for (const e of this.entries(entry)) {
      this.#byID.delete(e.GetRegistryEntryID());
      e.setRegistry(null);
    }
    for (const l of this.#listeners) l.detached?.(entry);
  }

  /** @internal */
  announce(event: 'registered' | 'terminated', entry: IORegistryEntry): void {
    for (const l of this.#listeners) l[event]?.(entry);
  }

  /** @internal */
  propertiesChanged(entry: IORegistryEntry, keys: string[]): void {
    for (const l of this.#listeners) l.propertiesChanged?.(entry, keys);
  }
}

/** Plain values as JSON can hold them: 64-bit integers beyond 2^53 as decimal strings, data as hex. */
function jsonable(v: unknown): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  if (Array.isArray(v)) return v.map(jsonable);
  if (v instanceof Set) return [...v].map(jsonable);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonable(x)]));
  return v;
}

/** One entry of {@link IORegistry.toJSON}. */
export interface IORegistryJSON {
  name: string;
  className: string;
  id: string;
  location?: string;
  properties: Record<string, unknown>;
  children: IORegistryJSON[];
}
