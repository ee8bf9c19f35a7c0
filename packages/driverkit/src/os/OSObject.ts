import type { IODispatchQueue } from '../dispatch/IODispatchQueue';

// Set by the dispatch module when it loads; OSObject cannot import it (IODispatchQueue is an OSObject).
let defaultQueueFactory: ((owner: OSObject) => IODispatchQueue) | null = null;

/** @internal */
export function setDefaultQueueFactory(factory: (owner: OSObject) => IODispatchQueue): void {
  defaultQueueFactory = factory;
}

/**
 * The root of the DriverKit object model: reference counted, with `free()` run exactly once when the
 * last reference is released.
 *
 * Mirrors `OSObject` (OSObject.iig / OSMetaClassBase). JavaScript's garbage collector frees memory;
 * the count exists so device resources (open pipes, mapped memory, driver processes) are released at a
 * known moment, as `OSSafeReleaseNULL` does in Apple's samples. Creators return an object holding one
 * reference (`Create*` / `with*` / `Copy*` in Apple's naming); `Get*` borrows.
 */
export abstract class OSObject {
  #retainCount = 1;
  #queues: Map<string, IODispatchQueue> | undefined;

  /** Mirrors `OSObject::init`. Subclasses set up their ivars here and return false on failure. */
  init(): boolean {
    return true;
  }

  /**
   * Mirrors `OSObject::SetDispatchQueue(name, queue)`: methods declared with `@QUEUENAME(name)`, and
   * actions targeting them, run on `queue`. `"Default"` names the queue of every other method.
   */
  SetDispatchQueue(name: string, queue: IODispatchQueue): void {
    if (typeof name !== 'string' || name.length === 0) throw new TypeError('SetDispatchQueue: the queue name must be a non-empty string');
    const queues = (this.#queues ??= new Map());
    const old = queues.get(name);
    queues.set(name, queue.retain());
    old?.release();
  }

  /**
   * Mirrors `OSObject::CopyDispatchQueue(name)`: the queue bound to `name`, retained for the caller,
   * or null. The `"Default"` queue is created on first use, one per object.
   */
  CopyDispatchQueue(name: string): IODispatchQueue | null {
    let q = this.#queues?.get(name);
    if (!q && name === 'Default' && defaultQueueFactory) {
      q = defaultQueueFactory(this);
      (this.#queues ??= new Map()).set(name, q);
    }
    return q ? q.retain() : null;
  }

  /** The names of the queues bound to this object (including Default once made). */
  dispatchQueueNames(): string[] {
    return this.#queues ? [...this.#queues.keys()] : [];
  }

  /**
   * Mirrors `OSObject::free`. Called once, when the last reference goes; subclasses release what they
   * hold and then call `super.free()`. Never call it directly: call {@link release}.
   */
  free(): void {
    const queues = this.#queues;
    this.#queues = undefined;
    if (queues) for (const q of queues.values()) q.release();
  }

  /** Mirrors `OSMetaClassBase::retain`. Returns `this` so `x = y.retain()` reads naturally. */
  retain(): this {
    if (this.#retainCount <= 0) {
      throw new Error(`${this.getClassName()}.retain() after free(): the object was already released`);
    }
    this.#retainCount++;
    return this;
  }

  /** Mirrors `OSMetaClassBase::release`. Runs {@link free} when the count reaches zero. */
  release(): void {
    if (this.#retainCount <= 0) {
      throw new Error(`${this.getClassName()}.release() after free(): released once too often`);
    }
    if (--this.#retainCount === 0) this.free();
  }

  /** Mirrors `OSMetaClassBase::getRetainCount`. 0 once freed. */
  getRetainCount(): number {
    return this.#retainCount;
  }

  /**
   * Makes the count infinite, for objects Apple's runtime also never frees: the two OSBoolean
   * singletons and interned OSSymbols. retain and release then do nothing.
   */
  protected markImmortal(): void {
    this.#retainCount = Infinity;
  }

  /** True once the object has been freed. */
  isFreed(): boolean {
    return this.#retainCount <= 0;
  }

  /** Mirrors `OSMetaClassBase::isEqualTo`: identity here; value classes compare their contents. */
  isEqualTo(other: unknown): boolean {
    return this === other;
  }

  /** Mirrors `OSMetaClassBase::getMetaClass()->getClassName()`. */
  getClassName(): string {
    return this.constructor.name;
  }
}

/** Mirrors `OSSafeReleaseNULL`: releases `o` if present; returns null to assign back. */
export function OSSafeReleaseNULL(o: OSObject | null | undefined): null {
  o?.release();
  return null;
}
