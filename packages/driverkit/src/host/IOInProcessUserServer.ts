import type { OSDictionary } from '../os/OSDictionary';
import { IOUserServerRuntime, type IODriverModule } from '../server/IOUserServerRuntime';
import type { IOService } from '../service/IOService';
import { IOUserClientRunner } from '../userclient/IOUserClientRunner';
import type { IOUserClientHandle, IOUserServerHandle } from './IOUserServerHandle';

/**
 * A driver server inside the host process: the same runtime a driver process runs, with the same
 * lifecycle, but no crash isolation. For tests and debugging (`driverkit run --in-process`).
 */
export class IOInProcessUserServer implements IOUserServerHandle {
  readonly pid = null;
  readonly #runtime: IOUserServerRuntime;

  constructor(
    readonly name: string,
    driver: IODriverModule,
    onError: (service: IOService, what: string, error: unknown) => void,
  ) {
    this.#runtime = new IOUserServerRuntime(name, driver);
    this.#runtime.onError = onError;
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

  async shutdown(): Promise<void> {}

  isDead(): boolean {
    return false;
  }
}
