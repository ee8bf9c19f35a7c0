import { IOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnNotPermitted, kIOReturnUnsupported } from '../IOReturn/IOReturn';
import type { OSDictionary } from '../os/OSDictionary';
import type { IORemoteCallTarget, IORemoteCaller } from '../server/IORemoteProvider';

/** What a kernel class learns of the driver service it serves. */
export interface IOKernelServiceContext {
  /** The personality's IOClass (the kernel class's name). */
  readonly ioClass: string;
  /** The properties the service was started with (its matched personality). */
  readonly properties: OSDictionary;
  /** The driver package's entitlements. */
  readonly entitlements: OSDictionary;
  /** The driver process calling (its key names the server and pid; `onGone` runs when it ends). */
  readonly caller: IORemoteCaller;
  /** The host's log. */
  readonly log: (line: string) => void;
  /**
   * Publishes counters of the half's data path (frames, packets, entries through its queues) for
   * observers such as `driverkit explore`, read only when they ask; returns what takes them away.
   */
  readonly counters?: (label: string, read: () => Record<string, number>) => () => void;
}

/**
 * The kernel half of one driver service. In DriverKit a dext's `IOUserNetworkEthernet` is paired with
 * a kernel object of the personality's `IOClass`; calls such as `RegisterEthernetInterface` go to that
 * object, not to the provider. Here the host plays the kernel: a family registers the class by its
 * IOClass name, the host makes one instance per driver service on its first call, and releases it when
 * the service terminates or its process dies, so what it holds (a TAP interface) cannot outlive the driver.
 */
export interface IOKernelService extends IORemoteCallTarget {
  /** The driver service ended (stopped, crashed, or its process was killed); calls still waiting must end. */
  serviceEnded(): Promise<void>;
}

export type IOKernelClassFactory = (context: IOKernelServiceContext) => IOKernelService;

/** The kernel classes families registered with a host, by IOClass. @internal */
export class IOKernelClassTable {
  readonly #classes = new Map<string, IOKernelClassFactory>();
  readonly #rootReasons = new Map<string, string>();

  /** `rootReason`: why drivers of this IOClass must keep root in their process (see IODriverAccount). */
  register(ioClass: string, factory: IOKernelClassFactory, rootReason?: string): void {
    this.#classes.set(ioClass, factory);
    if (rootReason) this.#rootReasons.set(ioClass, rootReason);
    else this.#rootReasons.delete(ioClass);
  }

  /** Why drivers whose personality names `ioClass` keep root, or null. */
  rootReason(ioClass: string): string | null {
    return this.#rootReasons.get(ioClass) ?? null;
  }

  /** A new kernel half for a service of `context.ioClass`; refuses a class no loaded family provides. */
  create(context: IOKernelServiceContext): IOKernelService {
    const factory = this.#classes.get(context.ioClass);
    if (!factory) throw new IOReturnError(kIOReturnUnsupported, `no loaded family provides the kernel class ${context.ioClass} (the personality's IOClass); is its family package installed?`);
    return factory(context);
  }
}

/**
 * The kernel halves of one driver server's services, by the server's own key for each service
 * (created on first call, released once). @internal
 */
export class IOKernelServiceSet<K> {
  readonly #halves = new Map<K, { half: IOKernelService | null }>();

  constructor(
    private readonly table: IOKernelClassTable,
    private readonly log: (line: string) => void,
    private readonly counters?: (label: string, read: () => Record<string, number>) => () => void,
  ) {}

  /** Runs `method` on the kernel half of service `key`, creating it from `describe()` on the first call. */
  async call(key: K, method: string, args: OSDictionary, caller: IORemoteCaller, describe: () => { ioClass: string; properties: OSDictionary; entitlements: OSDictionary } | null): Promise<OSDictionary | null> {
    let entry = this.#halves.get(key);
    if (!entry) {
      const d = describe();
      if (!d) throw new IOReturnError(kIOReturnNotPermitted, `${method}: the calling service is not one this driver process was asked to start`);
      entry = { half: this.table.create({ ...d, caller, log: this.log, ...(this.counters ? { counters: this.counters } : {}) }) };
      this.#halves.set(key, entry);
    }
    const half = entry.half;
    if (!half) throw new IOReturnError(kIOReturnNotPermitted, `${method}: the service has terminated`);
    return half.handleRemoteCall(method, args, caller);
  }

  /** Releases the kernel half of `key`, if it has one; later calls for it are refused. */
  async release(key: K): Promise<void> {
    const entry = this.#halves.get(key);
    if (!entry?.half) return;
    const half = entry.half;
    // The entry stays, empty: a late call for a service that ended is refused, not given a new half.
    entry.half = null;
    try {
      await half.serviceEnded();
    } catch (e) {
      this.log(`releasing the kernel half of a service failed: ${(e as Error).message}`);
    }
  }

  async releaseAll(): Promise<void> {
    await Promise.all([...this.#halves.keys()].map((k) => this.release(k)));
  }
}
