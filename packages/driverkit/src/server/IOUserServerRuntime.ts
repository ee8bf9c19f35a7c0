import { IOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnBadArgument, kIOReturnNotFound, kIOReturnUnsupported } from '../IOReturn/IOReturn';
import type { OSArray } from '../os/OSArray';
import { OSDictionary } from '../os/OSDictionary';
import { OSNumber } from '../os/OSNumber';
import { OSString } from '../os/OSString';
import { IOService, type IOServiceRuntime, type IOStateNotificationPort } from '../service/IOService';
import { OSBundle } from '../bundle/OSBundle';
import type { IOProviderLink } from './IORemoteProvider';

/** What a runtime needs of a driver package: where its classes are. */
export interface IODriverModule {
  readonly bundleIdentifier: string;
  readonly modulePath: string | null;
  /** The driver package's folder: its bundle, for OSBundle.mainBundle. */
  readonly directory?: string;
}

type IOServiceClass = new () => IOService;

/**
 * The driver side of IOUserServer: instantiates a driver package's classes by their IOUserClass
 * names and runs their lifecycle against a provider. It runs inside each driver process, and inside
 * the host in in-process mode.
 */
export class IOUserServerRuntime implements IOServiceRuntime {
  static readonly #providerClasses = new Map<string, new () => IOService>();

  /**
   * Lets a family give driver processes a real provider class (one that opens the device through
   * its backend) for nubs of `className`, instead of the generic stand-in. Family packages call it
   * when they load.
   */
  static registerProviderClass(className: string, Class: new () => IOService): void {
    IOUserServerRuntime.#providerClasses.set(className, Class);
  }

  /** A provider of the most specific registered class in `classes`, or null. @internal */
  static createProvider(classes: string[]): IOService | null {
    for (const c of classes) {
      const Class = IOUserServerRuntime.#providerClasses.get(c);
      if (Class) return new Class();
    }
    return null;
  }

  #module: Promise<Record<string, unknown>> | null = null;
  /** How a service started here reaches its kernel half in the host (set by whoever runs this runtime). */
  kernelLinkFor: ((service: IOService) => IOProviderLink) | null = null;
  /** How a service started here reaches the host's state notification items. */
  stateNotificationsFor: ((service: IOService) => IOStateNotificationPort) | null = null;
  /** How a service started here reads its provider chain from the host (set by a driver process). */
  providerChainFor: ((provider: IOService, keys: readonly string[] | null) => Promise<OSArray> | null) | null = null;
  /** How a service started here learns its power-managed clients' highest state in the host (set by a driver process). */
  clientPowerStateFor: ((service: IOService) => Promise<number | null> | null) | null = null;
  /** Where lifecycle errors go (a driver process forwards them to the host's log). */
  onError: (service: IOService, what: string, error: unknown) => void = (s, what, e) => {
    process.stderr.write(`${this.name}: ${s.getName()}.${what} failed: ${e instanceof Error ? e.message : String(e)}\n`);
  };

  constructor(
    readonly name: string,
    readonly driver: IODriverModule,
  ) {
    if (driver.directory) OSBundle.addRunningBundle(driver.directory);
  }

  /** The class the driver module exports as `userClass`. */
  async loadClass(userClass: string): Promise<IOServiceClass> {
    if (!this.driver.modulePath) {
      throw new IOReturnError(kIOReturnNotFound, `${this.driver.bundleIdentifier}: the package names no module (package.json "main" or "driverkit.main")`);
    }
    this.#module ??= import(this.driver.modulePath) as Promise<Record<string, unknown>>;
    let mod: Record<string, unknown>;
    try {
      mod = await this.#module;
    } catch (e) {
      this.#module = null;
      throw new IOReturnError(kIOReturnNotFound, `${this.driver.bundleIdentifier}: cannot load ${this.driver.modulePath}: ${(e as Error).message}`, { cause: e });
    }
    const def = mod.default as Record<string, unknown> | (new () => unknown) | undefined;
    const found = mod[userClass] ?? (def && typeof def === 'object' ? def[userClass] : undefined) ?? (typeof def === 'function' && def.name === userClass ? def : undefined);
    if (typeof found !== 'function') {
      throw new IOReturnError(kIOReturnNotFound, `${this.driver.bundleIdentifier}: ${this.driver.modulePath} exports no class ${userClass} (IOUserClass)`);
    }
    if (!(found.prototype instanceof IOService)) {
      throw new IOReturnError(kIOReturnUnsupported, `${this.driver.bundleIdentifier}: ${userClass} does not extend IOService (is the package using another copy of @driverkit/driverkit?)`);
    }
    return found as IOServiceClass;
  }

  /**
   * Instantiates the `IOUserClass` that `properties` names, gives it those properties, and starts it
   * on `provider` (init, attach, Start). A failure leaves nothing attached.
   */
  async startService(properties: OSDictionary, provider: IOService): Promise<IOService> {
    const userClass = properties.getObject('IOUserClass');
    if (!(userClass instanceof OSString)) throw new IOReturnError(kIOReturnBadArgument, 'the properties name no IOUserClass');
    const Class = await this.loadClass(userClass.getCStringNoCopy());
    const service = new Class();
    service.setName(userClass.getCStringNoCopy());
    service.setProperties(properties);
    try {
      await service.startWithProvider(provider, this, () => this.#probe(service, provider, properties));
    } catch (e) {
      service.release();
      throw e;
    }
    // The registry's attachment now holds the service; the creator's reference goes to the caller.
    return service;
  }

  // IOService::probe: a driver may look at the device before Start and decline it.
  async #probe(service: IOService, provider: IOService, properties: OSDictionary): Promise<void> {
    const probe = (service as unknown as { Probe?: (provider: IOService, score: number) => number | null | Promise<number | null> }).Probe;
    if (typeof probe !== 'function') return;
    const score = properties.getObject('IOProbeScore');
    const result = await probe.call(service, provider, score instanceof OSNumber ? Number(score.signed64BitValue()) : 0);
    if (result === null || result === undefined) {
      throw new IOReturnError(kIOReturnUnsupported, `${service.getName()}.Probe declined ${provider.getName()}`);
    }
    service.setProperty('IOProbeScore', result);
  }

  createService(_owner: IOService, provider: IOService, properties: OSDictionary): Promise<IOService> {
    const copy = properties.copyCollection();
    return this.startService(copy, provider).finally(() => copy.release());
  }

  reportError(service: IOService, what: string, error: unknown): void {
    this.onError(service, what, error);
  }

  kernelLink(service: IOService): IOProviderLink | null {
    return this.kernelLinkFor?.(service) ?? null;
  }

  stateNotifications(service: IOService): IOStateNotificationPort | null {
    return this.stateNotificationsFor?.(service) ?? null;
  }

  copyProviderChain(provider: IOService, keys: readonly string[] | null): Promise<OSArray> | null {
    return this.providerChainFor?.(provider, keys) ?? null;
  }

  clientPowerState(service: IOService): Promise<number | null> | null {
    return this.clientPowerStateFor?.(service) ?? null;
  }
}
