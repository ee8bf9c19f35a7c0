import { IOReturnError, IOService, kIOReturnBadArgument, type IOFixed } from '@driverkit/driverkit';
import type { IOHIDDigitizerStylusData, IOHIDDigitizerTouchData, IOHIDEvent } from './IOHIDEvent';
import { IOHIDEventServiceUserClient } from './IOHIDEventServiceUserClient';

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
