import { IOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnBadArgument, kIOReturnNotPermitted, kIOReturnNotReady, kIOReturnSuccess } from '../IOReturn/IOReturn';
import type { OSArray } from '../os/OSArray';
import { OSString } from '../os/OSString';
import type { IOService } from '../service/IOService';
import type { IODispatchQueue } from './IODispatchQueue';
import { IODispatchSource } from './IODispatchSource';
import type { OSAction } from './OSAction';

/**
 * Mirrors `IOServiceStateNotificationDispatchSource`: tells a driver when state notification items
 * (`StateNotificationItemCreate/Set` by any driver) change. The handler (`StateNotificationReady`)
 * runs on its queue once per batch of changes; the driver then reads the items with
 * `StateNotificationItemCopy`. Nothing is delivered before {@link StateNotificationBegin}.
 */
export class IOServiceStateNotificationDispatchSource extends IODispatchSource {
  readonly #service: IOService;
  readonly #items: string[];
  #handler: OSAction | null = null;
  #changed = false;
  #signalled = false;
  #stop: (() => void) | null = null;

  private constructor(service: IOService, items: string[], queue: IODispatchQueue) {
    super(queue);
    this.#service = service.retain();
    this.#items = items;
  }

  /** Mirrors `IOServiceStateNotificationDispatchSource::Create(service, items, queue, &source)`. */
  static Create(service: IOService, items: OSArray | readonly string[], queue: IODispatchQueue): IOServiceStateNotificationDispatchSource {
    const names = [...items].map((i) => (i instanceof OSString ? i.getCStringNoCopy() : i));
    if (names.length === 0 || names.some((n) => typeof n !== 'string' || n.length === 0)) throw new IOReturnError(kIOReturnBadArgument, 'IOServiceStateNotificationDispatchSource.Create: name at least one item, each a non-empty string');
    return new IOServiceStateNotificationDispatchSource(service, names as string[], queue);
  }

  /** The items watched. */
  get items(): readonly string[] {
    return this.#items;
  }

  /** Mirrors `SetHandler(StateNotificationReady action)`. */
  SetHandler(action: OSAction): void {
    if (this.isCancelled()) throw new IOReturnError(kIOReturnNotPermitted, 'IOServiceStateNotificationDispatchSource is cancelled');
    this.#handler = IODispatchSource.swapAction(this.#handler, action);
    this.#signal();
  }

  /** Mirrors `StateNotificationBegin`: starts watching; resolves once changes from then on will be reported. */
  async StateNotificationBegin(): Promise<number> {
    if (this.isCancelled()) throw new IOReturnError(kIOReturnNotPermitted, 'IOServiceStateNotificationDispatchSource is cancelled');
    if (this.#stop) return kIOReturnSuccess;
    const port = this.#service.getRuntime()?.stateNotifications?.(this.#service);
    if (!port) throw new IOReturnError(kIOReturnNotReady, `${this.#service.getName()}: state notifications need a service started by a driver runtime`);
    this.#stop = await port.watch(this.#items, () => {
      this.#changed = true;
      this.#signal();
    });
    return kIOReturnSuccess;
  }

  #signal(): void {
    if (this.#signalled || !this.#changed || !this.#handler || !this.isEnabled() || this.isCancelled()) return;
    this.#signalled = true;
    this.#changed = false;
    const handler = this.#handler;
    void handler.Invoke().finally(() => {
      this.#signalled = false;
      this.#signal();
    });
  }

  protected override enableChanged(enable: boolean): void {
    if (enable) this.#signal();
  }

  protected cancelled(): void {
    this.#stop?.();
    this.#stop = null;
    this.#handler = IODispatchSource.swapAction(this.#handler, null);
  }

  override free(): void {
    this.#service.release();
    super.free();
  }
}
