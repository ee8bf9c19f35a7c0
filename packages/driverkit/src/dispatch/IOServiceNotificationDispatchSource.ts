import { IOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnBadArgument, kIOReturnNotPermitted } from '../IOReturn/IOReturn';
import { matchTable } from '../matching/IOMatchingEngine';
import type { IOMatchCheck } from '../matching/IOMatchingFamily';
import { OSDictionary } from '../os/OSDictionary';
import { OSString } from '../os/OSString';
import { IORegistry } from '../registry/IORegistry';
import type { IORegistryEntry } from '../registry/IORegistryEntry';
import { IOService } from '../service/IOService';
import type { IODispatchQueue } from './IODispatchQueue';
import { IODispatchSource } from './IODispatchSource';
import type { OSAction } from './OSAction';

/** Mirrors the notification types `DeliverNotifications` reports. */
export const kIOServiceNotificationTypeTerminated = 0n;
export const kIOServiceNotificationTypeMatched = 1n;
export const kIOServiceNotificationTypeNone = 0xffff_ffffn;

/** Mirrors `IOServiceNotificationBlock`: `(type, service, options)`. */
export type IOServiceNotificationBlock = (type: bigint, service: IOService, options: bigint) => void;

/** True when `service` satisfies a matching dictionary (the generic keys, plus IOUserClass). */
export function serviceMatchesDictionary(service: IOService, matching: OSDictionary): boolean {
  const checks: IOMatchCheck[] = [];
  const resources = service.getRegistry()?.root.getChildEntries().find((e) => e.getName() === 'IOResources');
  matchTable(matching, service, (name) => resources?.getProperty(name) != null, checks, false);
  const userClass = matching.getObject('IOUserClass');
  if (userClass instanceof OSString) {
    const have = service.getProperty('IOUserClass');
    checks.push({ key: 'IOUserClass', passed: have !== null && have.isEqualTo(userClass), detail: '' });
  }
  return checks.every((c) => c.passed);
}

/**
 * Mirrors `IOServiceNotificationDispatchSource`: reports services that match a dictionary as they
 * are registered (Matched; the ones already registered first) and as they terminate (Terminated).
 * The handler (`ServiceNotificationReady`) runs on its queue when notifications wait; the driver then
 * calls {@link DeliverNotifications} to take them.
 *
 * Linux notes: the source watches one registry: the host's for in-process drivers and apps' hosts,
 * the driver process's own otherwise (its providers and services), unless one is given.
 */
export class IOServiceNotificationDispatchSource extends IODispatchSource {
  readonly #matching: OSDictionary;
  readonly #pending: Array<{ type: bigint; service: IOService }> = [];
  readonly #matched = new Set<IORegistryEntry>();
  #handler: OSAction | null = null;
  #signalled = false;
  readonly #unlisten: () => void;

  private constructor(matching: OSDictionary, queue: IODispatchQueue, registry: IORegistry) {
    super(queue);
    this.#matching = matching.copyCollection();
    for (const e of registry.entries()) if (e instanceof IOService && e.isRegistered()) this.#consider(e);
    this.#unlisten = registry.listen({
      registered: (e) => e instanceof IOService && this.#consider(e),
      terminated: (e) => {
        if (!this.#matched.delete(e)) return;
        this.#push(kIOServiceNotificationTypeTerminated, e as IOService);
      },
    });
  }

  /** Mirrors `IOServiceNotificationDispatchSource::Create(matching, options, queue, &source)`. */
  static Create(matching: OSDictionary, options: bigint | number, queue: IODispatchQueue, registry: IORegistry | null = IORegistry.current): IOServiceNotificationDispatchSource {
    if (!(matching instanceof OSDictionary)) throw new IOReturnError(kIOReturnBadArgument, 'IOServiceNotificationDispatchSource.Create needs a matching dictionary');
    if (BigInt(options) !== 0n) throw new IOReturnError(kIOReturnBadArgument, `IOServiceNotificationDispatchSource.Create: unknown options 0x${BigInt(options).toString(16)}`);
    if (!registry) throw new IOReturnError(kIOReturnNotPermitted, 'IOServiceNotificationDispatchSource.Create: no registry in this process (no host or driver runtime is running)');
    return new IOServiceNotificationDispatchSource(matching, queue, registry);
  }

  /** Mirrors `SetHandler(ServiceNotificationReady action)`: runs now if notifications already wait. */
  SetHandler(action: OSAction): void {
    if (this.isCancelled()) throw new IOReturnError(kIOReturnNotPermitted, 'IOServiceNotificationDispatchSource is cancelled');
    this.#handler = IODispatchSource.swapAction(this.#handler, action);
    this.#signalled = false;
    this.#signal();
  }

  /**
   * Mirrors `DeliverNotifications(block)`: hands every waiting notification to `block`, oldest
   * first; each service is valid for the call (retain it to keep it).
   */
  DeliverNotifications(block: IOServiceNotificationBlock): void {
    this.#signalled = false;
    while (this.#pending.length > 0) {
      const { type, service } = this.#pending.shift()!;
      try {
        block(type, service, 0n);
      } finally {
        service.release();
      }
    }
  }

  /** Mirrors the private `CopyNextNotification`: the oldest waiting notification (retained), or None. */
  CopyNextNotification(): { type: bigint; service: IOService | null; options: bigint } {
    const next = this.#pending.shift();
    if (!next) return { type: kIOServiceNotificationTypeNone, service: null, options: 0n };
    return { type: next.type, service: next.service, options: 0n };
  }

  #consider(service: IOService): void {
    if (this.#matched.has(service) || !serviceMatchesDictionary(service, this.#matching)) return;
    this.#matched.add(service);
    this.#push(kIOServiceNotificationTypeMatched, service);
  }

  #push(type: bigint, service: IOService): void {
    if (this.isCancelled()) return;
    this.#pending.push({ type, service: service.retain() });
    this.#signal();
  }

  #signal(): void {
    if (this.#signalled || !this.#handler || !this.isEnabled() || this.#pending.length === 0) return;
    this.#signalled = true;
    this.#handler.dispatch();
  }

  protected override enableChanged(enable: boolean): void {
    if (enable) this.#signal();
  }

  protected cancelled(): void {
    this.#unlisten();
    this.#handler = IODispatchSource.swapAction(this.#handler, null);
    for (const p of this.#pending.splice(0)) p.service.release();
    this.#matched.clear();
  }

  override free(): void {
    this.#matching.release();
    super.free();
  }
}
