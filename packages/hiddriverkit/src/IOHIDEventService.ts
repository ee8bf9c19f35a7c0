import { IOReturnError, IOService, kIOReturnBadArgument, kIOReturnUnsupported, type IOFixed, type OSDictionary } from '@driverkit/driverkit';
import { kHIDPage_LEDs } from './descriptor/HIDUsages';
import type { IOHIDDigitizerStylusData, IOHIDDigitizerTouchData, IOHIDEvent } from './IOHIDEvent';
import { IOHIDEventServiceUserClient } from './IOHIDEventServiceUserClient';

/** Mirrors the `kIOHIDEventType…` values handleCopyMatchingEvent's `EventType` key takes (IOHIDEventTypes.h). */
export const kIOHIDEventTypeKeyboard = 3;
/** Mirrors `kIOHIDEventTypeKey`, `kIOHIDUsagePageKey`, `kIOHIDUsageKey` (IOHIDEventServiceKeys_Private.h). */
export const kIOHIDEventTypeKey = 'EventType';
export const kIOHIDUsagePageKey = 'UsagePage';
export const kIOHIDUsageKey = 'Usage';

/** A listener for the events a service dispatches. */
export type IOHIDEventListener = (event: IOHIDEvent) => void;

/**
 * Mirrors `IOHIDEventService`: where a HID driver's events leave it. On macOS the dispatchers hand
 * events to the HID event system; here they go to the service's listeners (in its own process) and
 * to apps subscribed through its user client (`IOServiceOpen` on the service, then
 * `IOHIDEventServiceSubscribe` from `@driverkit/hiddriverkit/client`).
 */
export class IOHIDEventService extends IOService {
  static readonly className: string = 'IOHIDEventService';
  readonly #listeners: IOHIDEventListener[] = [];

  /** Subscribes to this service's events; returns the unsubscribe function. */
  addEventListener(listener: IOHIDEventListener): () => void {
    this.#listeners.push(listener);
    return () => {
      const i = this.#listeners.indexOf(listener);
      if (i >= 0) this.#listeners.splice(i, 1);
    };
  }

  /** Mirrors `SetLED(usage, on)`: an LED (Num Lock 1, Caps Lock 2, …), as SetLEDState on the LED page. */
  async SetLED(usage: number, on: boolean): Promise<void> {
    await this.SetLEDState(kHIDPage_LEDs, usage, on);
  }

  /**
   * Mirrors `SetLEDState(usagePage, usage, on)`: a driver that has output elements overrides it (as
   * IOUserHIDEventDriver does). The default has nothing to set: kIOReturnUnsupported.
   */
  async SetLEDState(usagePage: number, usage: number, _on: boolean): Promise<void> {
    throw new IOReturnError(kIOReturnUnsupported, `${this.getName()} has no LED 0x${usagePage.toString(16)}:0x${usage.toString(16)}`);
  }

  /**
   * Mirrors `handleCopyMatchingEvent(matching, &event)`: the event that would describe the current
   * state of what `matching` names (`EventType`, `UsagePage`, `Usage`), as the event system asks
   * for a key's state. The default knows no state: kIOReturnUnsupported.
   */
  handleCopyMatchingEvent(_matching: OSDictionary): IOHIDEvent {
    throw new IOReturnError(kIOReturnUnsupported, `${this.getName()} keeps no event state to match`);
  }

  /** Mirrors `dispatchEvent`: hands one event to every listener. */
  dispatchEvent(event: IOHIDEvent): void {
    for (const l of this.#listeners) l(event);
  }

  /** Mirrors `dispatchKeyboardEvent(timestamp, usagePage, usage, value, options, repeat)`. */
  dispatchKeyboardEvent(timestamp: bigint, usagePage: number, usage: number, value: number, options = 0, repeat = true): void {
    this.dispatchEvent({ type: 'keyboard', timestamp, usagePage, usage, value, options, repeat });
  }

  /** Mirrors `dispatchRelativePointerEvent(timestamp, dx, dy, buttonState, options, accelerate)`. */
  dispatchRelativePointerEvent(timestamp: bigint, dx: IOFixed, dy: IOFixed, buttonState: number, options = 0, accelerate = true): void {
    this.dispatchEvent({ type: 'relativePointer', timestamp, dx, dy, buttonState, options, accelerate });
  }

  /** Mirrors `dispatchAbsolutePointerEvent(timestamp, x, y, buttonState, options, accelerate)`: x and y in 0…1. */
  dispatchAbsolutePointerEvent(timestamp: bigint, x: IOFixed, y: IOFixed, buttonState: number, options = 0, accelerate = true): void {
    this.dispatchEvent({ type: 'absolutePointer', timestamp, x, y, buttonState, options, accelerate });
  }

  /** Mirrors `dispatchRelativeScrollWheelEvent(timestamp, dx, dy, dz, options, accelerate)`. */
  dispatchRelativeScrollWheelEvent(timestamp: bigint, dx: IOFixed, dy: IOFixed, dz: IOFixed, options = 0, accelerate = true): void {
    this.dispatchEvent({ type: 'scroll', timestamp, dx, dy, dz, options, accelerate });
  }

  /** Mirrors `dispatchDigitizerStylusEvent(timestamp, stylusData)`. */
  dispatchDigitizerStylusEvent(timestamp: bigint, stylus: IOHIDDigitizerStylusData): void {
    this.dispatchEvent({ type: 'stylus', timestamp, stylus });
  }

  /** Mirrors `dispatchDigitizerTouchEvent(timestamp, touchData, touchDataCount)`: one event per finger. */
  dispatchDigitizerTouchEvent(timestamp: bigint, touches: readonly IOHIDDigitizerTouchData[], count = touches.length): void {
    if (count > touches.length) throw new IOReturnError(kIOReturnBadArgument, `dispatchDigitizerTouchEvent: ${count} touches asked for, ${touches.length} given`);
    for (let i = 0; i < count; i++) this.dispatchEvent({ type: 'touch', timestamp, touch: touches[i]! });
  }

  /** Apps open the service to receive its events (see {@link IOHIDEventServiceUserClient}). */
  override async NewUserClient(_type: number): Promise<IOService> {
    const client = new IOHIDEventServiceUserClient(this);
    client.setName('IOHIDEventServiceUserClient');
    await client.startWithProvider(this, null);
    return client;
  }
}
