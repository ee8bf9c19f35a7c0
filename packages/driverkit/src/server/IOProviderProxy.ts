import { IOService } from '../service/IOService';

/**
 * A driver process's stand-in for a provider that lives in the host: same name, location,
 * properties and class chain (so `OSDynamicCast` by name and matching see the same thing), kept in
 * sync by the host. A family that needs a richer provider in the driver process (one that opens the
 * device) registers its class with `IOUserServerRuntime.registerProviderClass`.
 */
export class IOProviderProxy extends IOService {
  #classes: string[] = ['IOService'];

  /** @internal */
  setClassHierarchy(classes: string[]): void {
    this.#classes = classes.length > 0 ? [...classes] : ['IOService'];
  }

  override getClassName(): string {
    return this.#classes[0]!;
  }

  override classHierarchy(): string[] {
    return [...this.#classes];
  }
}
