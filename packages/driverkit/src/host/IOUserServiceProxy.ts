import { IOService } from '../service/IOService';

/** What a proxy asks of the driver process that runs the real service. */
export interface IOUserServiceRemote {
  stop(): Promise<void>;
  setPowerState(powerFlags: number): Promise<void>;
  /** Tells the driver that one of its service's power-managed clients changed state. */
  clientPowerChanged(): void;
}

/**
 * The host's registry entry for a service whose driver runs in a driver process: the kernel-side
 * object of Apple's model (its class is the personality's IOClass, such as IOUserService). Its Stop
 * asks the driver process to stop the real service.
 */
export class IOUserServiceProxy extends IOService {
  readonly #className: string;
  readonly #remote: IOUserServiceRemote;

  constructor(className: string, remote: IOUserServiceRemote) {
    super();
    this.#className = className;
    this.#remote = remote;
  }

  override getClassName(): string {
    return this.#className;
  }

  override classHierarchy(): string[] {
    return [this.#className, ...super.classHierarchy().slice(1)];
  }

  override async Stop(provider: IOService): Promise<void> {
    await this.#remote.stop();
    await super.Stop(provider);
  }

  /** Forwards the power change to the driver, which checks it against its declared states. */
  override async SetPowerState(powerFlags: number): Promise<void> {
    await this.#remote.setPowerState(powerFlags);
    this.recordPowerState(powerFlags);
  }

  /** Power management runs where the driver is: it decides again there. */
  override clientPowerChanged(): void {
    this.#remote.clientPowerChanged();
  }
}
