import { IOUserClient, isIOReturnError, kIOReturnNotAttached, kIOReturnSuccess, type IOService, type IOUserClientMethodArguments, type IOUserClientMethodDispatch, type OSAction, type OSObject } from '@driverkit/driverkit';
import { encodeHIDEvent } from './IOHIDEvent';
import type { IOHIDEventService } from './IOHIDEventService';

/** The user client's selectors. */
export const kIOHIDEventServiceUserClientSubscribe = 0;
export const kIOHIDEventServiceUserClientUnsubscribe = 1;

const methods: IOUserClientMethodDispatch[] = [
  // Subscribe: async, no arguments; every event completes the call's action again.
  { function: (t, _r, a) => (t as IOHIDEventServiceUserClient).subscribe(a.completion!), checkCompletionExists: 1, checkScalarInputCount: 0, checkStructureInputSize: 0, checkScalarOutputCount: 0, checkStructureOutputSize: 0 },
  { function: (t) => (t as IOHIDEventServiceUserClient).unsubscribe(), checkCompletionExists: 0, checkScalarInputCount: 0, checkStructureInputSize: 0, checkScalarOutputCount: 0, checkStructureOutputSize: 0 },
];

/**
 * The event stream an app opens on an event service: after Subscribe, each event the service
 * dispatches completes the app's async call once more, carrying the event as `encodeHIDEvent` lays
 * it out. (On macOS apps read HID events from the event system; this is its stand-in.)
 */
export class IOHIDEventServiceUserClient extends IOUserClient {
  readonly #service: IOHIDEventService;
  #action: OSAction | null = null;
  #off: (() => void) | null = null;

  constructor(service: IOHIDEventService) {
    super();
    this.#service = service;
  }

  override async ExternalMethod(selector: bigint, args: IOUserClientMethodArguments, _dispatch: IOUserClientMethodDispatch | null, _target: OSObject | null, reference: unknown): Promise<number> {
    return super.ExternalMethod(selector, args, selector < BigInt(methods.length) ? methods[Number(selector)]! : null, this, reference);
  }

  /** @internal */
  subscribe(action: OSAction): number {
    this.unsubscribe();
    this.#action = action.retain();
    this.#off = this.#service.addEventListener((e) => {
      try {
        if (this.#action) this.AsyncCompletion(this.#action, kIOReturnSuccess, encodeHIDEvent(e));
      } catch (err) {
        // The app is gone: stop sending.
        if (isIOReturnError(err) && err.code === kIOReturnNotAttached) this.unsubscribe();
        else throw err;
      }
    });
    return kIOReturnSuccess;
  }

  /** @internal */
  unsubscribe(): number {
    this.#off?.();
    this.#off = null;
    this.#action?.release();
    this.#action = null;
    return kIOReturnSuccess;
  }

  override async Stop(provider: IOService): Promise<void> {
    this.unsubscribe();
    await super.Stop(provider);
  }
}
