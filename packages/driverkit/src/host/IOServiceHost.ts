import { kIOPropertyHashTypeKey, kIOPropertySHA3256Key } from '../bundle/IOPropertyHash';
import { IOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnNotFound } from '../IOReturn/IOReturn';
import { kOSBooleanTrue } from '../os/OSBoolean';
import { OSArray } from '../os/OSArray';
import { OSDictionary } from '../os/OSDictionary';
import { OSNumber } from '../os/OSNumber';
import { OSString } from '../os/OSString';
import { IODriverBundle } from '../matching/IODriverBundle';
import type { IOMatchingFamily } from '../matching/IOMatchingFamily';
import { explainCandidates, matchPersonality, rankCandidates, type IOMatchCandidate } from '../matching/IOMatchingEngine';
import type { IOPersonality } from '../matching/IOPersonality';
import { IORegistry } from '../registry/IORegistry';
import type { IORegistryEntry } from '../registry/IORegistryEntry';
import { IOResources } from '../service/IOResources';
import { IOService, kIOPMAssertionsKey, kIOServicePMAssertionCPUBit, kIOServicePMAssertionForceFullWakeupBit, kIOServicePowerCapabilityOff, kIOServicePowerCapabilityOn } from '../service/IOService';
import { IOUserResources } from '../service/IOUserResources';
import { IODriverAccount, kIOUserServerRootReasonKey } from './IODriverAccount';
import { IOInProcessUserServer } from './IOInProcessUserServer';
import { IOHostActivity } from './IOHostActivity';
import { IOKernelClassTable, type IOKernelClassFactory } from './IOKernelClass';
import { IOStateNotificationCenter } from './IOStateNotificationCenter';
import type { IOUserServerHandle } from './IOUserServerHandle';
import { IOUserServerProcess } from './IOUserServerProcess';

/** How the host runs drivers and recovers from their crashes. */
export interface IOServiceHostOptions {
  /** `process` (the default): each driver server in its own OS process. `in-process`: in the host. */
  mode?: 'process' | 'in-process';
  /** How many times a provider's driver is relaunched after crashes before the host gives up (Apple's `dextrelaunch`, 1000). */
  relaunchLimit?: number;
  /** Delay before the first relaunch, doubled per consecutive crash up to {@link relaunchMaxDelayMs}. */
  relaunchDelayMs?: number;
  relaunchMaxDelayMs?: number;
  /** Where the host says what it does (matching, starts, crashes); silent by default. */
  log?: (line: string) => void;
}

/** What the host reports as services come and go (the CLI's live view listens). */
export interface IOServiceHostEvent {
  kind: 'started' | 'failed' | 'terminated' | 'crashed' | 'gave-up';
  service?: IOService;
  provider: IOService;
  personality?: IOPersonality;
  message: string;
}

interface Binding {
  service: IOService;
  provider: IOService;
  category: string;
  personality: IOPersonality;
  server: IOUserServerHandle;
  /** Set when the service ends because its driver process died. */
  crashed?: boolean;
}

/**
 * The host: the analog of the kernel's side of DriverKit. It owns the registry, matches registered
 * nubs against the loaded drivers' personalities (with the families' hooks), starts each category's
 * winner in an IOUserServer (a driver process, or in-process), and terminates, rematches and
 * relaunches as nubs, drivers and driver processes come and go.
 */
export class IOServiceHost {
  readonly registry = new IORegistry();
  readonly resources: IOResources;
  readonly userResources: IOUserResources;
  readonly options: Required<Omit<IOServiceHostOptions, 'log'>> & { log: (line: string) => void };
  readonly #families: IOMatchingFamily[] = [];
  readonly #kernelClasses = new IOKernelClassTable();
  /** The system's state notification items (StateNotificationItemCreate/Set/Copy), shared by every driver. */
  readonly stateNotifications = new IOStateNotificationCenter();
  readonly #bundles = new Map<string, IODriverBundle>();
  readonly #servers = new Map<string, IOUserServerHandle>();
  readonly #bindings = new Map<IOService, Map<string, Binding>>();
  /** The same bindings by driver service: whether an entry is a driver, and whose, without a scan. */
  readonly #byService = new Map<IOService, Binding>();
  readonly #matching = new Map<IOService, Promise<void>>();
  readonly #pending = new Set<Promise<unknown>>();
  /** Relaunches waiting out their delay, each with what ends its wait (whenIdle waits for them). */
  readonly #timers = new Map<NodeJS.Timeout, () => void>();
  readonly #listeners = new Set<(e: IOServiceHostEvent) => void>();
  /** What the host has seen happen (drivers' lives, refusals, call counts), for observers. */
  readonly activity = new IOHostActivity();
  readonly #starting = new Map<IOUserServerHandle, number>();
  /** Why a personality last failed to start on a nub, for explanations. */
  readonly #failures = new WeakMap<IOService, Map<IOPersonality, string>>();
  #stopping = false;
  /** The host's own writes to a nub's properties (IORematchCount) must not trigger matching. */
  #quiet = false;

  constructor(options: IOServiceHostOptions = {}) {
    this.options = {
      mode: options.mode ?? 'process',
      relaunchLimit: options.relaunchLimit ?? 1000,
      relaunchDelayMs: options.relaunchDelayMs ?? 100,
      relaunchMaxDelayMs: options.relaunchMaxDelayMs ?? 10_000,
      log: options.log ?? (() => {}),
    };
    IORegistry.current ??= this.registry;
    this.registry.listen({
      registered: (e) => e instanceof IOService && this.#track(this.#rematch(e)),
      terminated: (e) => e instanceof IOService && this.#serviceTerminated(e),
      propertiesChanged: (e) => !this.#quiet && e instanceof IOService && this.#isNub(e) && e.isRegistered() && this.#track(this.#rematch(e)),
    });
    this.resources = new IOResources();
    this.resources.setName('IOResources');
    this.resources.attachToParent(this.registry.root);
    this.resources.release();
    this.userResources = new IOUserResources();
    this.userResources.setName('IOUserResources');
    this.userResources.attachToParent(this.registry.root);
    this.userResources.release();
    this.publishResource('IOKit');
    this.resources.RegisterService();
    this.userResources.RegisterService();
  }

  /** Subscribes to service events; returns the unsubscribe function. */
  onEvent(listener: (e: IOServiceHostEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Adds a family's matching hook (USB, PCI, HID keys and scores). */
  registerFamily(family: IOMatchingFamily): void {
    this.#families.push(family);
  }

  /** Publishes a resource on IOResources; personalities waiting with IOResourceMatch then match. */
  /**
   * Makes this host the kernel for services whose personality's IOClass is `ioClass` (as
   * IOSkywalkFamily is for IOUserNetworkEthernet): `factory` makes the kernel half of each such
   * service, which the driver reaches with `IOService.kernelLink()`. Families call it from their host plugin.
   * `options.rootReason` says why drivers of this class must keep root in their process (they otherwise
   * run as `_driverkit`, see IODriverAccount).
   */
  registerKernelClass(ioClass: string, factory: IOKernelClassFactory, options: { rootReason?: string } = {}): void {
    this.#kernelClasses.register(ioClass, factory, options.rootReason);
  }

  publishResource(name: string): void {
    this.resources.setProperty(name, kOSBooleanTrue);
    this.#rematchAll();
  }

  /** Loads a driver package (a directory or a loaded bundle) and matches every registered nub against it. */
  addDriverBundle(bundle: IODriverBundle | string): IODriverBundle {
    const b = typeof bundle === 'string' ? IODriverBundle.load(bundle) : bundle;
    this.#bundles.set(b.bundleIdentifier, b);
    this.options.log(`loaded ${b.bundleIdentifier} (${b.personalities.length} personalit${b.personalities.length === 1 ? 'y' : 'ies'})`);
    this.#rematchAll();
    return b;
  }

  /** Unloads a driver package: its services are terminated and their providers rematched. */
  async removeDriverBundle(bundleIdentifier: string): Promise<void> {
    if (!this.#bundles.delete(bundleIdentifier)) throw new IOReturnError(kIOReturnNotFound, `no driver package ${bundleIdentifier} is loaded`);
    const doomed = [...this.#byService.values()].filter((b) => b.personality.bundle.bundleIdentifier === bundleIdentifier);
    await Promise.all(doomed.map((b) => b.service.Terminate()));
  }

  /** The loaded driver packages. */
  bundles(): IODriverBundle[] {
    return [...this.#bundles.values()];
  }

  /**
   * Publishes a nub a family discovered: attaches it under `provider` (the root when absent) and
   * registers it, which starts matching. The registry holds the nub from then on.
   */
  publishNub(nub: IOService, provider: IORegistryEntry = this.registry.root): void {
    nub.attachToParent(provider);
    nub.RegisterService();
  }

  /** Every personality judged against `nub`, for `driverkit match --explain`. */
  explain(nub: IOService): IOMatchCandidate[] {
    return this.#personalities().map((p) => matchPersonality(p, nub, this.#context()));
  }

  /** {@link explain} formatted as the CLI prints it, with the last start failure of each personality. */
  explainText(nub: IOService): string {
    return explainCandidates(nub, this.explain(nub), this.#failures.get(nub));
  }

  /** Resolves once no matching, starting or terminating is in progress. */
  async whenIdle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  /** The driver services started on `provider`, by match category. */
  clientsOf(provider: IOService): Map<string, IOService> {
    return new Map([...(this.#bindings.get(provider) ?? new Map<string, Binding>())].map(([k, b]) => [k, b.service]));
  }

  /** The driver server and personality behind a driver service the host started, or null. */
  driverOf(service: IOService): { server: IOUserServerHandle; personality: IOPersonality } | null {
    const b = this.#byService.get(service);
    return b ? { server: b.server, personality: b.personality } : null;
  }

  /** The registered services that are not drivers the host started: the nubs families published. */
  nubs(): IOService[] {
    const out: IOService[] = [];
    for (const e of this.registry.entries()) if (e instanceof IOService && e.isRegistered() && this.#isNub(e) && e !== this.resources && e !== this.userResources) out.push(e);
    return out;
  }

  /** The running driver servers (for `ps`-like views and tests). */
  servers(): IOUserServerHandle[] {
    return [...this.#servers.values()];
  }

  /**
   * Changes the power state of every driver the host started (as a system sleep or wake would):
   * clients before providers when powering down, providers first when powering up. Each driver
   * checks the state against the ones it declares; failures are reported and do not stop the others.
   */
  async setPowerState(powerFlags: number): Promise<void> {
    const services: IOService[] = [];
    for (const e of this.registry.entries()) if (e instanceof IOService && !this.#isNub(e)) services.push(e);
    if (powerFlags === kIOServicePowerCapabilityOff) {
      // PM assertions drivers hold (CreatePMAssertion): a CPU one keeps the hardware running (dark
      // wake, nothing is powered off); a full-wakeup one brings everything straight back on.
      const held = (bit: number) => services.filter((s) => assertionBits(s) & bit).map((s) => s.getName());
      const dark = held(kIOServicePMAssertionCPUBit);
      if (dark.length > 0) {
        this.options.log(`sleep: dark wake, drivers stay powered (CPU assertions held by ${dark.join(', ')})`);
        return;
      }
      const wake = held(kIOServicePMAssertionForceFullWakeupBit);
      services.reverse();
      await this.#applyPower(services, powerFlags);
      if (wake.length > 0) {
        this.options.log(`sleep: full wake at once (asserted by ${wake.join(', ')})`);
        await this.#applyPower(services.reverse(), kIOServicePowerCapabilityOn);
      }
      return;
    }
    await this.#applyPower(services, powerFlags);
  }

  async #applyPower(services: IOService[], powerFlags: number): Promise<void> {
    for (const s of services) {
      try {
        await s.SetPowerState(powerFlags);
      } catch (e) {
        this.options.log(`${s.getName()}.SetPowerState(0x${powerFlags.toString(16)}): ${(e as Error).message}`);
      }
    }
  }

  /**
   * Shutdown has begun: from now on no driver is started or relaunched. A host's owner calls it before
   * its families take their devices down, so that a nub a stopping driver leaves behind is not matched
   * again on its way out. {@link stop} does it first too.
   */
  stopMatching(): void {
    this.#stopping = true;
    // A cancelled relaunch must still end its wait, or stop() would wait for it forever.
    for (const [t, cancelled] of this.#timers) {
      clearTimeout(t);
      cancelled();
    }
    this.#timers.clear();
  }

  /** Terminates every service (clients first), ends every driver server, and cancels relaunches. */
  async stop(): Promise<void> {
    this.stopMatching();
    await this.whenIdle();
    const tops = this.registry.root.getChildEntries().filter((e): e is IOService => e instanceof IOService);
    await Promise.all(tops.map((e) => e.Terminate()));
    await this.whenIdle();
    await Promise.all([...this.#servers.values()].map((s) => s.shutdown()));
    this.#servers.clear();
    if (IORegistry.current === this.registry) IORegistry.current = null;
  }

  #emit(e: IOServiceHostEvent): void {
    this.activity.event(e);
    this.options.log(e.message);
    for (const l of this.#listeners) l(e);
  }

  #track<T>(p: Promise<T>): void {
    this.#pending.add(p);
    void p.finally(() => this.#pending.delete(p)).catch(() => {});
  }

  #context() {
    const resources = this.resources;
    return { families: this.#families, hasResource: (name: string) => resources.getProperty(name) !== null };
  }

  #personalities(): IOPersonality[] {
    return [...this.#bundles.values()].flatMap((b) => b.personalities);
  }

  #isNub(s: IOService): boolean {
    return !this.#byService.has(s);
  }

  #rematchAll(): void {
    for (const e of this.registry.entries()) if (e instanceof IOService && e.isRegistered() && this.#isNub(e)) this.#track(this.#rematch(e));
  }

  /** Matching for one nub runs one pass at a time; a request during a pass queues one more pass. */
  #rematch(nub: IOService): Promise<void> {
    const previous = this.#matching.get(nub) ?? Promise.resolve();
    const next = previous.then(() => this.#matchPass(nub)).catch((e) => this.options.log(`matching ${nub.getName()} failed: ${(e as Error).message}`));
    this.#matching.set(nub, next);
    void next.then(() => this.#matching.get(nub) === next && this.#matching.delete(nub));
    return next;
  }

  async #matchPass(nub: IOService): Promise<void> {
    if (this.#stopping || !nub.isRegistered() || nub.isInactive()) return;
    const candidates = this.#personalities().map((p) => matchPersonality(p, nub, this.#context()));
    const bound = this.#bindings.get(nub) ?? new Map<string, Binding>();
    if (this.#gaveUp(nub)) return;
    for (const [category, ranked] of rankCandidates(candidates)) {
      if (bound.has(category)) continue;
      for (const candidate of ranked) {
        if (this.#stopping || nub.isInactive()) return;
        if (await this.#start(nub, candidate, category)) break;
      }
    }
  }

  async #start(nub: IOService, candidate: IOMatchCandidate, category: string): Promise<boolean> {
    const personality = candidate.personality;
    const server = this.#serverFor(personality, nub);
    const properties = personality.dictionary.copyCollection();
    properties.setObject('IOProbeScore', candidate.score);
    properties.setObject('CFBundleIdentifier', personality.bundle.bundleIdentifier);
    const hash = personality.bundle.codeHash();
    if (hash) {
      properties.setObject(kIOPropertyHashTypeKey, kIOPropertySHA3256Key);
      properties.setObject(kIOPropertySHA3256Key, hash);
    }
    this.#starting.set(server, (this.#starting.get(server) ?? 0) + 1);
    try {
      const service = await server.startService(properties, nub);
      this.#failures.get(nub)?.delete(personality);
      const bindings = this.#bindings.get(nub) ?? new Map<string, Binding>();
      const binding: Binding = { service, provider: nub, category, personality, server };
      bindings.set(category, binding);
      this.#bindings.set(nub, bindings);
      this.#byService.set(service, binding);
      this.#emit({ kind: 'started', service, provider: nub, personality, message: `started ${personality.userClass} on ${nub.getName()} (${personality}, score ${candidate.score}${server.pid ? `, pid ${server.pid}` : ''})` });
      return true;
    } catch (e) {
      const failures = this.#failures.get(nub) ?? new Map<IOPersonality, string>();
      failures.set(personality, (e as Error).message);
      this.#failures.set(nub, failures);
      this.#emit({ kind: 'failed', provider: nub, personality, message: `${personality.userClass} did not start on ${nub.getName()}: ${(e as Error).message}` });
      queueMicrotask(() => this.#retireIfUnused(server));
      return false;
    } finally {
      properties.release();
      const n = this.#starting.get(server)! - 1;
      if (n === 0) this.#starting.delete(server);
      else this.#starting.set(server, n);
    }
  }

  /** Why a driver process for `personality` keeps root: its kernel class's family says so, or the personality does. */
  #rootReasons(personality: IOPersonality): string[] {
    const reasons: string[] = [];
    const ioClass = personality.dictionary.getObject('IOClass');
    const byClass = ioClass instanceof OSString ? this.#kernelClasses.rootReason(ioClass.getCStringNoCopy()) : null;
    if (byClass) reasons.push(`its family's ${(ioClass as OSString).getCStringNoCopy()} needs root in the driver process: ${byClass}`);
    const own = personality.dictionary.getObject(kIOUserServerRootReasonKey);
    if (own instanceof OSString) reasons.push(`its personality says it needs root: ${own.getCStringNoCopy()}`);
    return reasons;
  }

  /** Apple's rule: one server per matched service, unless IOUserServerOneProcess shares one per IOUserServerName. */
  #serverFor(personality: IOPersonality, nub: IOService): IOUserServerHandle {
    const key = personality.oneProcess ? personality.userServerName : `${personality.userServerName}#${nub.GetRegistryEntryID().toString(16)}.${personality.matchCategory}`;
    let server = this.#servers.get(key);
    if (server && !server.isDead()) {
      // IOUserServerOneProcess: the process's account was settled by its first service.
      const why = server instanceof IOUserServerProcess && server.account ? IODriverAccount.rootReason(nub, this.#rootReasons(personality)) : null;
      if (why) this.options.log(`${personality.userClass} shares ${key}, which runs as ${(server as IOUserServerProcess).account!.name}, though ${why}`);
      return server;
    }
    const onError = (s: IOService, what: string, e: unknown) => this.options.log(`${s.getName()}.${what}: ${(e as Error).message ?? String(e)}`);
    server =
      this.options.mode === 'in-process'
        ? new IOInProcessUserServer(key, personality.bundle, onError, { classes: this.#kernelClasses, entitlements: personality.bundle.entitlements, log: this.options.log, states: this.stateNotifications, activity: this.activity })
        : new IOUserServerProcess(key, personality.bundle, { provider: nub, rootReasons: this.#rootReasons(personality), log: this.options.log, activity: this.activity, onExit: (s, why) => this.#serverDied(s, why), kernelClasses: this.#kernelClasses, entitlements: personality.bundle.entitlements, stateNotifications: this.stateNotifications });
    this.#servers.set(key, server);
    return server;
  }

  #bindingsOf(server: IOUserServerHandle): Binding[] {
    return [...this.#byService.values()].filter((b) => b.server === server);
  }

  /** A driver process exited on its own: its services are terminated, their providers relaunched with backoff. */
  #serverDied(server: IOUserServerHandle, why: string): void {
    if (this.#servers.get(server.name) === server) this.#servers.delete(server.name);
    if (this.#stopping) return;
    for (const b of this.#bindingsOf(server)) {
      const nub = b.provider;
      this.#emit({ kind: 'crashed', service: b.service, provider: nub, personality: b.personality, message: `${b.personality.userClass} on ${nub.getName()} died (${why})` });
      b.crashed = true;
      // IOKit tells the provider first (ClientCrashed), then terminates the crashed client.
      this.#track(
        Promise.resolve()
          .then(() => nub.ClientCrashed(b.service, 0n))
          .catch((e) => this.options.log(`${nub.getName()}.ClientCrashed: ${(e as Error).message}`))
          .then(() => b.service.Terminate()),
      );
    }
  }

  #serviceTerminated(service: IOService): void {
    const b = this.#byService.get(service);
    if (!b) return;
    const nub = b.provider;
    this.#byService.delete(service);
    b.server.serviceTerminated?.(service);
    const m = this.#bindings.get(nub)!;
    m.delete(b.category);
    if (m.size === 0) this.#bindings.delete(nub);
    // The binding held the reference the server handed over when the service started.
    service.release();
    this.#retireIfUnused(b.server);
    if (this.#stopping || nub.isInactive()) return;
    this.#emit({ kind: 'terminated', service, provider: nub, personality: b.personality, message: `${b.personality.userClass} on ${nub.getName()} terminated` });
    if (b.crashed) this.#relaunch(nub);
    else this.#track(this.#rematch(nub));
  }

  /** A driver server with no services left ends, as a dext process does once its last service is gone. */
  #retireIfUnused(server: IOUserServerHandle): void {
    if (this.#bindingsOf(server).length > 0 || this.#starting.has(server)) return;
    if (this.#servers.get(server.name) === server) this.#servers.delete(server.name);
    this.#track(server.shutdown());
  }

  /** Counts a crash on the provider (IORematchCount) and rematches after a doubling delay, up to the limit. */
  #relaunch(nub: IOService): void {
    if (nub.isInactive()) return;
    const count = Number((nub.getProperty('IORematchCount') as OSNumber | null)?.unsigned32BitValue() ?? 0) + 1;
    this.#setQuietly(nub, 'IORematchCount', OSNumber.withNumber(count, 32));
    if (this.#gaveUp(nub)) return;
    const delay = Math.min(this.options.relaunchDelayMs * 2 ** (count - 1), this.options.relaunchMaxDelayMs);
    let timer: NodeJS.Timeout;
    const waiting = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.#timers.delete(timer);
        resolve(this.#rematch(nub));
      }, delay);
      this.#timers.set(timer, resolve);
    });
    this.#track(waiting);
  }

  #setQuietly(nub: IOService, key: string, value: OSNumber | string): void {
    this.#quiet = true;
    try {
      nub.setProperty(key, value);
    } finally {
      this.#quiet = false;
    }
  }

  /** True once the provider's driver crashed more times than the relaunch limit; says so in the registry. */
  #gaveUp(nub: IOService): boolean {
    const count = Number((nub.getProperty('IORematchCount') as OSNumber | null)?.unsigned32BitValue() ?? 0);
    if (count <= this.options.relaunchLimit) return false;
    if (!nub.getProperty('IOUserServerRelaunchLimitReached')) {
      this.#setQuietly(nub, 'IOUserServerRelaunchLimitReached', `gave up after ${count - 1} relaunches (limit ${this.options.relaunchLimit})`);
      this.#emit({ kind: 'gave-up', provider: nub, message: `${nub.getName()}: its driver crashed ${count} times; not relaunching (limit ${this.options.relaunchLimit})` });
    }
    return true;
  }
}

/** The union of the PM assertion bits a service's `IOPMAssertions` property lists. */
function assertionBits(service: IOService): number {
  const list = service.getProperty(kIOPMAssertionsKey);
  let bits = 0;
  if (list instanceof OSArray) for (const a of list) if (a instanceof OSDictionary) bits |= Number((a.getObject('AssertionBits') as OSNumber | null)?.unsigned32BitValue() ?? 0);
  return bits;
}
