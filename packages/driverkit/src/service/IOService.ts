import type { IOProviderLink } from '../server/IORemoteProvider';
import { IOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnBadArgument, kIOReturnNotAttached, kIOReturnNotFound, kIOReturnNotReady, kIOReturnUnsupported } from '../IOReturn/IOReturn';
import type { IODispatchQueue } from '../dispatch/IODispatchQueue';
import { OSDictionary } from '../os/OSDictionary';
import type { OSObject } from '../os/OSObject';
import { OSString } from '../os/OSString';
import { OSNumber } from '../os/OSNumber';
import { OSArray } from '../os/OSArray';
import { toOSObject } from '../os/OSValue';
import { IORegistryEntry } from '../registry/IORegistryEntry';

/** Mirrors `kIOServiceDefaultQueueName`. */
export const kIOServiceDefaultQueueName = 'Default';
/** Mirrors `kIOServiceSearchPropertyParents`. */
export const kIOServiceSearchPropertyParents = 1n;
/** The property AdjustBusy keeps the busy count in. */
export const kIOServiceBusyStateKey = 'IOServiceBusyState';

/** Mirrors the power capability flags `SetPowerState` receives. */
export const kIOServicePowerCapabilityOff = 0;
export const kIOServicePowerCapabilityOn = 2;
export const kIOServicePowerCapabilityLow = 0x10000;

/** Mirrors `kIOServicePMAssertionCPUBit`: keep the CPU and core hardware running (dark wake) instead of sleeping. */
export const kIOServicePMAssertionCPUBit = 0x001;
/** Mirrors `kIOServicePMAssertionForceFullWakeupBit`: wake fully right after going to sleep. */
export const kIOServicePMAssertionForceFullWakeupBit = 0x800;
/** The property JoinPMTree publishes (as ioreg shows IOPowerManagement). */
export const kIOPowerManagementKey = 'IOPowerManagement';
/** The property that lists a service's PM assertions, for the host (and `ioreg`) to see. */
export const kIOPMAssertionsKey = 'IOPMAssertions';

/** Where a service is in its life. */
export type IOServiceState = 'created' | 'starting' | 'started' | 'stopping' | 'terminated';

/**
 * What runs a service's driver: instantiates services from personality-style dictionaries (for
 * {@link IOService.Create}) and learns of lifecycle failures. The host's in-process runner and the
 * driver-process runtime each implement it; a service gets one when it is created by either.
 */
export interface IOServiceRuntime {
  createService(owner: IOService, provider: IOService, properties: OSDictionary): Promise<IOService>;
  reportError(service: IOService, what: string, error: unknown): void;
  /** The link to `service`'s kernel half (see {@link IOService.kernelLink}), where the runtime has one. */
  kernelLink?(service: IOService): IOProviderLink | null;
  /**
   * The properties of `provider` and each provider above it (only `keys`, when given), for
   * {@link IOService.CopyProviderProperties} in a process that holds a stand-in of the provider only.
   */
  copyProviderChain?(provider: IOService, keys: readonly string[] | null): Promise<OSArray> | null;
  /** The host's state notification items, as `service` reaches them. */
  stateNotifications?(service: IOService): IOStateNotificationPort | null;
  /**
   * The highest power state among `service`'s power-managed clients that live outside this process
   * (drivers the host matched on it), or null when it has none; for power management's decision.
   */
  clientPowerState?(service: IOService): Promise<number | null> | null;
}

/** Power states in the order power management ranks them: a client that wants more keeps its provider up. */
function powerRank(flags: number): number {
  return flags === kIOServicePowerCapabilityOn ? 2 : flags === kIOServicePowerCapabilityLow ? 1 : 0;
}

/** The power state a service publishes in its IOPowerManagement property (itself or the host's mirror of it), or null. */
export function publishedPowerState(service: IORegistryEntry): number | null {
  const pm = service.getProperty(kIOPowerManagementKey);
  const flags = pm instanceof OSDictionary ? pm.getObject('CapabilityFlags') : null;
  return flags instanceof OSNumber ? Number(flags.unsigned32BitValue()) : null;
}

/** The highest of the power states given (by power management's ranking), or null for none. */
export function highestPowerState(states: Iterable<number | null>): number | null {
  let high: number | null = null;
  for (const s of states) if (s !== null && (high === null || powerRank(s) > powerRank(high))) high = s;
  return high;
}

/** A driver's way to the host's state notification items (see IOService.StateNotificationItemCreate). */
export interface IOStateNotificationPort {
  create(name: string, value: OSDictionary | null): Promise<void>;
  set(name: string, value: OSDictionary): Promise<void>;
  copy(name: string): Promise<OSDictionary>;
  /** Starts calling `listener` on each change of the items; resolves with what stops it once the host listens. */
  watch(names: readonly string[], listener: (name: string) => void): Promise<() => void>;
}

/**
 * Mirrors `IOService`: a registry entry with a lifecycle. The system calls `init`, attaches the
 * service to its provider, and calls {@link Start}; a driver's Start calls `super.Start(provider)`
 * first (SUPERDISPATCH) and usually {@link RegisterService} last. {@link Terminate} stops clients
 * first, then calls {@link Stop} (a driver cancels its work and calls `super.Stop(provider)` last),
 * cancels the service's queues and takes it out of the registry.
 *
 * Start and Stop may be async (a driver opening its device awaits); a failure is an IOReturnError.
 */
export class IOService extends IORegistryEntry {
  /**
   * The power capabilities the driver supports, for {@link SetPowerState}. A driver class that has a
   * low-power state declares `static powerStates = [Off, Low, On]`.
   */
  static powerStates: readonly number[] = [kIOServicePowerCapabilityOff, kIOServicePowerCapabilityOn];

  #provider: IOService | null = null;
  #state: IOServiceState = 'created';
  #registered = false;
  #terminating: Promise<void> | null = null;
  // Set before any client is told to terminate (IOKit's first phase marks the whole subtree inactive
  // top-down), so a client going away never sees its provider as still active and rematches on it.
  #inactive = false;
  #powerState = kIOServicePowerCapabilityOn;
  #pmJoined = false;
  /** The state the driver asked for (ChangePowerState); null until it asks. */
  #powerDesire: number | null = null;
  #powerOverride = false;
  #powerAdjusting: Promise<void> = Promise.resolve();
  readonly #assertions = new Map<bigint, number>();
  static #nextAssertion = 0n;
  #runtime: IOServiceRuntime | null = null;

  /** Mirrors `IOService::Start`. Subclasses call `await super.Start(provider)` first. */
  Start(provider: IOService): void | Promise<void> {
    if (this.#state !== 'starting' && this.#state !== 'created') {
      throw new IOReturnError(kIOReturnNotReady, `${this.getName()}.Start: the service is ${this.#state}`);
    }
    this.#provider = provider;
  }

  /**
   * Mirrors `IOService::ClientCrashed(client, options)`: called on a provider (in the host) when the
   * driver process of one of its clients died, before that client is terminated. A nub that keeps
   * state for its clients (an open session, a claimed pipe) lets it go here. The default does nothing.
   */
  ClientCrashed(_client: IOService, _options: bigint | number = 0n): void | Promise<void> {}

  /** Mirrors `IOService::Stop`. Subclasses cancel their sources and call `await super.Stop(provider)` last. */
  Stop(_provider: IOService): void | Promise<void> {
    this.#state = 'stopping';
  }

  /** Mirrors `IOService::RegisterService`: publishes the service, so matching runs for it and clients can find it. */
  RegisterService(): void {
    const registry = this.getRegistry();
    if (!registry) throw new IOReturnError(kIOReturnNotAttached, `${this.getName()}.RegisterService: the service is not in the registry`);
    if (this.#inactive || this.#registered) return;
    this.#registered = true;
    registry.announce('registered', this);
  }

  /** True after RegisterService, until termination. */
  isRegistered(): boolean {
    return this.#registered && !this.#inactive;
  }

  /** Where the service is in its life. */
  getState(): IOServiceState {
    return this.#state;
  }

  /** The state words `ioreg` prints after the class: `registered, matched, active`. */
  describeState(): string {
    const words: string[] = [];
    if (this.isRegistered()) words.push('registered');
    if (this.getChildEntries().length > 0 || this.#state === 'started') words.push('matched');
    words.push(this.isInactive() ? 'inactive' : 'active');
    const busy = this.GetBusyState();
    if (busy > 0) words.push(`busy ${busy}`);
    return words.join(', ');
  }

  /**
   * Mirrors `IOService::AdjustBusy(delta)`: raises or lowers the service's busy count (work it has
   * under way that others may wait for). The count is the `IOServiceBusyState` property, so the host
   * and `driverkit ioreg` (`busy N`) see it for a driver in its own process. Below zero is
   * kIOReturnBadArgument, where IOKit would panic.
   */
  AdjustBusy(delta: number): void {
    const next = this.GetBusyState() + delta;
    if (!Number.isInteger(delta) || next < 0 || next > 0xffffffff) throw new IOReturnError(kIOReturnBadArgument, `${this.getName()}.AdjustBusy(${delta}): the busy count would be ${next}`);
    this.setProperty(kIOServiceBusyStateKey, OSNumber.withNumber(next, 32));
  }

  /** Mirrors `IOService::GetBusyState(&busyState)`. */
  GetBusyState(): number {
    const v = this.getProperty(kIOServiceBusyStateKey);
    return v instanceof OSNumber ? Number(v.unsigned32BitValue()) : 0;
  }

  /** Mirrors `isInactive`: true once termination began. */
  isInactive(): boolean {
    return this.#inactive;
  }

  /**
   * Mirrors `IOService::Terminate(options)`: terminates the service's clients (children) first, then
   * stops it, cancels its dispatch queues (aborting outstanding work) and removes it from the
   * registry. Idempotent: a second call returns the same promise.
   */
  Terminate(_options: bigint | number = 0n): Promise<void> {
    if (!this.#terminating) {
      this.#inactive = true;
      this.#terminating = this.#terminate();
    }
    return this.#terminating;
  }

  async #terminate(): Promise<void> {
    this.retain();
    try {
      await this.#terminateClients();
      if (this.#state === 'started' && this.#provider) {
        try {
          await this.Stop(this.#provider);
        } catch (e) {
          this.#runtime?.reportError(this, 'Stop', e);
        }
      }
      this.#leaveRegistry();
    } finally {
      this.release();
    }
  }

  #terminateClients(): Promise<unknown> {
    return Promise.all(this.getChildEntries().map((c) => (c instanceof IOService ? c.Terminate() : c.detachFromParent())));
  }

  // The end of every termination, a failed start's included: listeners that saw the service
  // registered also see it go.
  #leaveRegistry(): void {
    this.#state = 'terminated';
    this.#registered = false;
    this.abortQueues();
    const registry = this.getRegistry();
    this.detachFromParent();
    registry?.announce('terminated', this);
  }

  /**
   * Runs the system's side of starting: `init`, attach to `provider`, `probe` (when given), `Start`.
   * A probe or Start that throws
   * leaves nothing behind: clients it created are terminated, its queues cancelled, and it is
   * detached. @internal (the host and driver runtime call it)
   */
  async startWithProvider(provider: IOService, runtime: IOServiceRuntime | null, probe?: () => Promise<void>): Promise<void> {
    this.#runtime = runtime;
    if (!this.init()) throw new IOReturnError(kIOReturnUnsupported, `${this.getClassName()}.init() returned false`);
    this.attachToParent(provider);
    this.#state = 'starting';
    try {
      // IOKit's order: init, attach, probe, start.
      await probe?.();
      await this.Start(provider);
      if (this.#inactive) return;
      this.#state = 'started';
    } catch (e) {
      this.#inactive = true;
      this.#terminating = Promise.resolve();
      await this.#terminateClients();
      this.#leaveRegistry();
      throw e;
    }
  }

  /** Cancels every dispatch queue bound to the service, so queued work is dropped. */
  protected abortQueues(): void {
    for (const name of this.dispatchQueueNames()) {
      const q = this.CopyDispatchQueue(name) as IODispatchQueue | null;
      q?.Cancel();
      q?.release();
    }
  }

  /** Mirrors `IOService::GetProvider`. */
  GetProvider(): IOService | null {
    return this.#provider ?? (this.getParentEntry() instanceof IOService ? (this.getParentEntry() as IOService) : null);
  }

  /** Mirrors `IOService::SetProperties`: merges `properties` into the service's, visible to matching and clients. */
  SetProperties(properties: OSDictionary): void {
    this.setProperties(properties);
  }

  /** Mirrors `IOService::CopyProperties`: a copy the caller owns. */
  CopyProperties(): OSDictionary {
    return this.copyProperties();
  }

  /** Mirrors `IOService::RemoveProperty`. */
  RemoveProperty(name: OSString | string): void {
    this.removeProperty(typeof name === 'string' ? name : name.getCStringNoCopy());
  }

  /** Mirrors `IOService::SetName`. */
  SetName(name: string): void {
    this.setName(name);
  }

  /** Mirrors `IOService::CopyName`. */
  CopyName(): OSString {
    return OSString.withCString(this.getName());
  }

  /**
   * Mirrors `IOService::SearchProperty(name, plane, options)`: this service's property, or with
   * `kIOServiceSearchPropertyParents` the nearest provider's. Throws `kIOReturnNotFound`.
   */
  SearchProperty(name: string, _plane = 'IOService', options: bigint | number = 0n): OSObject {
    for (let e: IORegistryEntry | null = this; e; e = BigInt(options) & kIOServiceSearchPropertyParents ? e.getParentEntry() : null) {
      const v = e.getProperty(name);
      if (v) return v.retain();
    }
    throw new IOReturnError(kIOReturnNotFound, `${this.getName()}: no property "${name}"${BigInt(options) & kIOServiceSearchPropertyParents ? ' here or in its providers' : ''}`);
  }

  /**
   * Mirrors `IOService::Create(provider, propertiesKey, &result)`: instantiates the service the
   * dictionary under `propertiesKey` in this service's properties describes (`IOClass`,
   * `IOUserClass`, its properties), attached to `provider` and started. Returned retained.
   */
  async Create(provider: IOService, propertiesKey: string): Promise<IOService> {
    const props = this.getProperty(propertiesKey);
    if (!(props instanceof OSDictionary)) throw new IOReturnError(kIOReturnBadArgument, `${this.getName()}.Create: no dictionary property "${propertiesKey}"`);
    if (!this.#runtime) throw new IOReturnError(kIOReturnNotReady, `${this.getName()}.Create: the service was not started by a driver runtime`);
    return this.#runtime.createService(this, provider, props);
  }

  /** Mirrors `IOService::CreateDefaultDispatchQueue`: the Default queue (made on first use), retained. */
  CreateDefaultDispatchQueue(): IODispatchQueue {
    return this.CopyDispatchQueue(kIOServiceDefaultQueueName) as IODispatchQueue;
  }

  /**
   * Mirrors `IOService::SetPowerState(powerFlags)`: one of the class's declared
   * {@link IOService.powerStates}. Drivers override it, do their work, and call super last.
   */
  SetPowerState(powerFlags: number): void | Promise<void> {
    const declared = (this.constructor as typeof IOService).powerStates;
    if (!declared.includes(powerFlags)) {
      throw new IOReturnError(kIOReturnBadArgument, `${this.getClassName()}.SetPowerState: 0x${powerFlags.toString(16)} is not one of its power states (${declared.map((s) => `0x${s.toString(16)}`).join(', ')})`);
    }
    const changed = powerFlags !== this.#powerState;
    this.#powerState = powerFlags;
    this.#publishPower();
    // The provider's state may follow its clients' (see ChangePowerState).
    if (changed && this.#pmJoined) this.GetProvider()?.clientPowerChanged();
  }

  /**
   * Mirrors `IOService::JoinPMTree`: the service takes part in power management; its state shows as
   * the `IOPowerManagement` property (CurrentPowerState, CapabilityFlags, MaxPowerState).
   * {@link ChangePowerState}, {@link SetPowerOverride} and {@link CreatePMAssertion} need it.
   */
  JoinPMTree(): void {
    this.#pmJoined = true;
    this.#publishPower();
  }

  /**
   * Mirrors `IOService::ChangePowerState(powerFlags)`: asks power management to move this service to
   * one of its declared states, which it does by calling {@link SetPowerState}. As in IOKit, it is a
   * request, not an order: power-managed clients of the service (drivers on the nubs it publishes, the
   * services it created) that are in a higher state keep it there until they come down, unless
   * {@link SetPowerOverride} is on. kIOReturnNotReady before {@link JoinPMTree}.
   */
  async ChangePowerState(powerFlags: number): Promise<void> {
    if (!this.#pmJoined) throw new IOReturnError(kIOReturnNotReady, `${this.getName()}.ChangePowerState: call JoinPMTree first`);
    const declared = (this.constructor as typeof IOService).powerStates;
    if (!declared.includes(powerFlags)) throw new IOReturnError(kIOReturnBadArgument, `${this.getName()}.ChangePowerState: 0x${powerFlags.toString(16)} is not one of its power states`);
    this.#powerDesire = powerFlags;
    await this.#adjustPower();
  }

  /**
   * Mirrors `IOService::SetPowerOverride(enable)`: while on, the state the driver asked for with
   * {@link ChangePowerState} is the service's state whatever its clients want (IOKit's
   * powerOverrideOnPriv); turning it off lets the clients hold the service up again.
   * kIOReturnNotReady before {@link JoinPMTree}.
   */
  async SetPowerOverride(enable: boolean): Promise<void> {
    if (!this.#pmJoined) throw new IOReturnError(kIOReturnNotReady, `${this.getName()}.SetPowerOverride: call JoinPMTree first`);
    this.#powerOverride = enable;
    await this.#adjustPower();
  }

  /**
   * A power-managed client of this service changed its power state: power management decides this
   * service's state again. Called by the clients in this process and by the host for the others. @internal
   */
  clientPowerChanged(): void {
    if (this.#powerDesire === null) return;
    this.#adjustPower().catch((e: unknown) => this.#runtime?.reportError(this, 'SetPowerState', e));
  }

  /** Power management's decision: the driver's desire, raised to its highest client's unless overridden. One at a time. */
  #adjustPower(): Promise<void> {
    const next = this.#powerAdjusting.then(async () => {
      if (this.#powerDesire === null || this.#state === 'terminated') return;
      let target = this.#powerDesire;
      if (!this.#powerOverride) {
        const local = this.getChildEntries().filter((c) => c instanceof IOService).map((c) => publishedPowerState(c));
        const remote = (await this.#runtime?.clientPowerState?.(this)) ?? null;
        target = highestPowerState([target, remote, ...local])!;
      }
      if (target !== this.#powerState) await this.SetPowerState(target);
    });
    this.#powerAdjusting = next.catch(() => {});
    return next;
  }

  /**
   * Mirrors `IOService::CreatePMAssertion(assertionBits, &assertionID, synced)`: returns the new
   * assertion's id. The assertions show in the `IOPMAssertions` property, which the host reads when the
   * system sleeps (a CPU assertion keeps drivers powered, dark wake; a full-wakeup assertion powers
   * them straight back on). kIOReturnNotReady before {@link JoinPMTree}; with `synced`, only the CPU bit.
   */
  CreatePMAssertion(assertionBits: number, synced = false): bigint {
    if (!this.#pmJoined) throw new IOReturnError(kIOReturnNotReady, `${this.getName()}.CreatePMAssertion: call JoinPMTree first`);
    const known = kIOServicePMAssertionCPUBit | kIOServicePMAssertionForceFullWakeupBit;
    if (!Number.isInteger(assertionBits) || assertionBits === 0 || (assertionBits & ~known) !== 0 || (synced && assertionBits !== kIOServicePMAssertionCPUBit)) {
      throw new IOReturnError(kIOReturnBadArgument, `${this.getName()}.CreatePMAssertion: bits 0x${assertionBits.toString(16)} ${synced ? '(synced: only kIOServicePMAssertionCPUBit)' : `(known: 0x${known.toString(16)})`}`);
    }
    const id = ++IOService.#nextAssertion;
    this.#assertions.set(id, assertionBits);
    this.#publishAssertions();
    return id;
  }

  /** Mirrors `IOService::ReleasePMAssertion(assertionID)`; an unknown id is kIOReturnNotFound. */
  ReleasePMAssertion(assertionID: bigint): void {
    if (!this.#assertions.delete(BigInt(assertionID))) throw new IOReturnError(kIOReturnNotFound, `${this.getName()}.ReleasePMAssertion: no assertion ${assertionID}`);
    this.#publishAssertions();
  }

  #publishAssertions(): void {
    const list = [...this.#assertions].map(([id, bits]) => ({ AssertionID: id, AssertionBits: bits }));
    this.setProperty(kIOPMAssertionsKey, toOSObject(list));
  }

  #publishPower(): void {
    if (!this.#pmJoined) return;
    const declared = (this.constructor as typeof IOService).powerStates;
    this.setProperty(kIOPowerManagementKey, toOSObject({ CurrentPowerState: Math.max(0, declared.indexOf(this.#powerState)), CapabilityFlags: this.#powerState, MaxPowerState: declared.length - 1 }));
  }

  /**
   * Mirrors `IOService::CopyProviderProperties(propertyKeys, &properties)`: a dictionary for the
   * provider and for each provider above it, in that order, holding the keys asked for (every
   * property when `propertyKeys` is null). Works in a driver process too, where the host answers for
   * the providers above the stand-in this process holds.
   */
  async CopyProviderProperties(propertyKeys: OSArray | readonly string[] | null = null): Promise<OSArray> {
    const keys = propertyKeys === null ? null : [...propertyKeys].map((k) => (k instanceof OSString ? k.getCStringNoCopy() : String(k)));
    const provider = this.GetProvider();
    if (!provider) throw new IOReturnError(kIOReturnNotAttached, `${this.getName()}.CopyProviderProperties: the service has no provider`);
    const remote = this.#runtime?.copyProviderChain?.(provider, keys);
    if (remote) return remote;
    const out = OSArray.withCapacity(4);
    for (let e: IORegistryEntry | null = provider; e instanceof IOService; e = e.GetProvider()) {
      const props = e.copyProperties();
      const d = keys ? OSDictionary.withCapacity(keys.length) : props.retain();
      if (keys) for (const k of keys) if (props.getObject(k)) d.setObject(k, props.getObject(k)!);
      out.setObject(d);
      d.release();
      props.release();
    }
    return out;
  }

  #stateNotifications(what: string): IOStateNotificationPort {
    const port = this.#runtime?.stateNotifications?.(this);
    if (!port) throw new IOReturnError(kIOReturnNotReady, `${this.getName()}.${what}: the service was not started by a driver runtime`);
    return port;
  }

  /**
   * Mirrors `IOService::StateNotificationItemCreate(itemName, value)`: a new item in the system's state
   * notification service, shared by every driver of the host. `value` may carry the schema keys
   * `kIOStateNotificationEntitlementSetKey`/`…GetKey`: entitlements a setter or reader must have.
   * An existing name is kIOReturnExclusiveAccess.
   */
  async StateNotificationItemCreate(itemName: string | OSString, value: OSDictionary | null = null): Promise<void> {
    await this.#stateNotifications('StateNotificationItemCreate').create(String(itemName instanceof OSString ? itemName.getCStringNoCopy() : itemName), value);
  }

  /** Mirrors `IOService::StateNotificationItemSet(itemName, value)`: watchers of the item are told. */
  async StateNotificationItemSet(itemName: string | OSString, value: OSDictionary): Promise<void> {
    await this.#stateNotifications('StateNotificationItemSet').set(String(itemName instanceof OSString ? itemName.getCStringNoCopy() : itemName), value);
  }

  /** Mirrors `IOService::StateNotificationItemCopy(itemName, &value)`: the item's value, the caller's to release. */
  StateNotificationItemCopy(itemName: string | OSString): Promise<OSDictionary> {
    return this.#stateNotifications('StateNotificationItemCopy').copy(String(itemName instanceof OSString ? itemName.getCStringNoCopy() : itemName));
  }

  /** Records a power state the driver applied elsewhere (a proxy's driver process). @internal */
  protected recordPowerState(powerFlags: number): void {
    this.#powerState = powerFlags;
  }

  /** The power capability last set. */
  GetPowerState(): number {
    return this.#powerState;
  }

  /**
   * Mirrors `IOService::NewUserClient(type)`: a driver that serves apps overrides it, usually as
   * `Create(this, 'UserClientProperties')`. The default refuses with `kIOReturnUnsupported`.
   */
  NewUserClient(type: number): Promise<IOService> {
    return Promise.reject(new IOReturnError(kIOReturnUnsupported, `${this.getClassName()} does not serve user clients (type ${type})`));
  }

  /** Mirrors `IOService::CreatePropertyMatchingDictionary(key, value, matching)`: `{IOPropertyMatch: {key: value}}`. */
  static CreatePropertyMatchingDictionary(key: string, value: OSObject | string, matching: OSDictionary | null = null): OSDictionary {
    const d = matching ?? OSDictionary.withCapacity(1);
    const existing = d.getObject('IOPropertyMatch');
    const table = existing instanceof OSDictionary ? existing : OSDictionary.withCapacity(1);
    table.setObject(key, value);
    if (table !== existing) d.setObject('IOPropertyMatch', table);
    return d;
  }

  /** Mirrors `IOService::CreateKernelClassMatchingDictionary(className, matching)`: `{IOProviderClass: className}`. */
  static CreateKernelClassMatchingDictionary(className: string, matching: OSDictionary | null = null): OSDictionary {
    const d = matching ?? OSDictionary.withCapacity(1);
    d.setObject('IOProviderClass', className);
    return d;
  }

  /** Mirrors `IOService::CreateUserClassMatchingDictionary(className, matching)`: `{IOUserClass: className}`. */
  static CreateUserClassMatchingDictionary(className: string, matching: OSDictionary | null = null): OSDictionary {
    const d = matching ?? OSDictionary.withCapacity(1);
    d.setObject('IOUserClass', className);
    return d;
  }

  /** Mirrors `IOService::CreateNameMatchingDictionary(name, matching)`: `{IONameMatch: name}`. */
  static CreateNameMatchingDictionary(name: string, matching: OSDictionary | null = null): OSDictionary {
    const d = matching ?? OSDictionary.withCapacity(1);
    d.setObject('IONameMatch', name);
    return d;
  }

  /** The runtime that started this service, if any. @internal */
  getRuntime(): IOServiceRuntime | null {
    return this.#runtime;
  }

  /**
   * The link to this service's kernel half: in DriverKit, the kernel object of the personality's
   * IOClass that a family's methods on the service (IOUserNetworkEthernet::RegisterEthernetInterface)
   * call into. Here the host plays that part for the IOClasses its families register
   * (`IOServiceHost.registerKernelClass`). For family classes; throws kIOReturnNotReady before the
   * service is started by a driver runtime.
   */
  kernelLink(): IOProviderLink {
    const link = this.#runtime?.kernelLink?.(this);
    if (!link) throw new IOReturnError(kIOReturnNotReady, `${this.getName()}: the service was not started by a driver runtime, so it has no kernel half to call`);
    return link;
  }
}
