import { OSDictionary } from '../os/OSDictionary';
import { OSString } from '../os/OSString';
import { IOUserServerRuntime, type IODriverModule } from '../server/IOUserServerRuntime';
import type { IOService } from '../service/IOService';
import type { IOHostActivity } from './IOHostActivity';
import { IOKernelClassTable, IOKernelServiceSet } from './IOKernelClass';
import type { IOStateNotificationCenter } from './IOStateNotificationCenter';
import type { IOStateNotificationPort } from '../service/IOService';
import { IOUserClientRunner } from '../userclient/IOUserClientRunner';
import type { IOUserClientHandle, IOUserServerHandle } from './IOUserServerHandle';

/**
 * A driver server inside the host process: the same runtime a driver process runs, with the same
 * lifecycle, but no crash isolation. For tests and debugging (`driverkit run --in-process`).
 */
export class IOInProcessUserServer implements IOUserServerHandle {
  readonly pid = null;
  readonly #runtime: IOUserServerRuntime;
  readonly #kernel: IOKernelServiceSet<IOService>;
  readonly #cleanups: Array<() => void> = [];

  constructor(
    readonly name: string,
    driver: IODriverModule,
    onError: (service: IOService, what: string, error: unknown) => void,
    kernel: { classes: IOKernelClassTable; entitlements: OSDictionary; log: (line: string) => void; states?: IOStateNotificationCenter; activity?: IOHostActivity } = { classes: new IOKernelClassTable(), entitlements: OSDictionary.withCapacity(0), log: () => {} },
  ) {
    this.#runtime = new IOUserServerRuntime(name, driver);
    this.#runtime.onError = onError;
    this.#kernel = new IOKernelServiceSet(kernel.classes, kernel.log, kernel.activity ? (label, read) => kernel.activity!.source(label, read) : undefined);
    const caller = { key: `${name}:in-process`, onGone: (f: () => void) => void this.#cleanups.push(f) };
    // The same service object is the driver's and the host's entry: its kernel half is called directly.
    this.#runtime.kernelLinkFor = (service) => ({
      call: (method, args) =>
        this.#kernel
          .call(service, method, args, caller, () => {
            const ioClass = service.getProperty('IOClass');
            return ioClass instanceof OSString ? { ioClass: ioClass.getCStringNoCopy(), properties: service.copyProperties(), entitlements: kernel.entitlements } : null;
          })
          .then((r) => r ?? OSDictionary.withCapacity(0)),
    });
    const states = kernel.states;
    if (states) {
      const port = this.#statePort(states, kernel.entitlements);
      this.#runtime.stateNotificationsFor = () => port;
    }
  }

  #statePort(states: IOStateNotificationCenter, entitlements: OSDictionary): IOStateNotificationPort {
    const caller = { name: this.name, entitlements };
    return {
      create: async (name, value) => states.create(name, value, caller),
      set: async (name, value) => states.set(name, value, caller),
      copy: async (name) => states.copy(name, caller),
      watch: async (names, listener) => {
        const stop = states.watch(names, listener);
        this.#cleanups.push(stop);
        return stop;
      },
    };
  }

  serviceTerminated(service: IOService): void {
    void this.#kernel.release(service);
  }

  startService(properties: OSDictionary, provider: IOService): Promise<IOService> {
    return this.#runtime.startService(properties, provider);
  }

  async openUserClient(service: IOService, type: number, entitlements: OSDictionary): Promise<IOUserClientHandle> {
    const userClient = await IOUserClientRunner.open(service, type, entitlements);
    let closed = false;
    return {
      properties: userClient.copyProperties(),
      call: (call, onCompletion) => IOUserClientRunner.call(userClient, call, onCompletion),
      copyMemory: (type) => IOUserClientRunner.copyMemory(userClient, type),
      close: async () => {
        if (closed) return;
        closed = true;
        await IOUserClientRunner.close(userClient);
      },
    };
  }

  async shutdown(): Promise<void> {
    await this.#kernel.releaseAll();
    for (const cleanup of this.#cleanups.splice(0)) cleanup();
  }

  isDead(): boolean {
    return false;
  }
}
