import { IOService } from '../service/IOService';

/**
 * The host's registry entry for a service whose driver runs in a driver process: the kernel-side
 * object of Apple's model (its class is the personality's IOClass, such as IOUserService). Its Stop
 * asks the driver process to stop the real service.
 */
export class IOUserServiceProxy extends IOService {
  readonly #className: string;
  readonly #stopRemote: () => Promise<void>;

  constructor(className: string, stopRemote: () => Promise<void>) {
    super();
    this.#className = className;
    this.#stopRemote = stopRemote;
  }

  override getClassName(): string {
    return this.#className;
  }

  override classHierarchy(): string[] {
    return [this.#className, ...super.classHierarchy().slice(1)];
  }

  override async Stop(provider: IOService): Promise<void> {
    await this.#stopRemote();
    await super.Stop(provider);
  }
}
