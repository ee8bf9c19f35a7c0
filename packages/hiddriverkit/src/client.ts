/**
 * `@driverkit/hiddriverkit/client`: the app side of HID event services. Open an event service with
 * `IOServiceOpen` (from `@driverkit/driverkit/client`), then subscribe to the events it dispatches.
 * @packageDocumentation
 */
import { IOConnectCallAsyncMethod, IOConnectCallScalarMethod, type IOConnection, type IONotificationPort } from '@driverkit/driverkit/client';
import { decodeHIDEvent, type IOHIDEvent } from './IOHIDEvent';
import { kIOHIDEventServiceUserClientSubscribe, kIOHIDEventServiceUserClientUnsubscribe } from './IOHIDEventServiceUserClient';

export { decodeHIDEvent, encodeHIDEvent, type IOHIDEvent, type IOHIDDigitizerStylusData, type IOHIDDigitizerTouchData } from './IOHIDEvent';

/**
 * Subscribes to an event service's events: `callback` runs for each, in order, through `port`. The
 * stream ends with {@link IOHIDEventServiceUnsubscribe} or when the connection closes.
 */
export async function IOHIDEventServiceSubscribe(connect: IOConnection, port: IONotificationPort, callback: (event: IOHIDEvent) => void): Promise<void> {
  await IOConnectCallAsyncMethod(connect, kIOHIDEventServiceUserClientSubscribe, port, {
    callback: (_refcon, _status, args) => {
      const event = decodeHIDEvent(args);
      if (event) callback(event);
    },
  });
}

/** Ends the event stream {@link IOHIDEventServiceSubscribe} started. */
export async function IOHIDEventServiceUnsubscribe(connect: IOConnection): Promise<void> {
  await IOConnectCallScalarMethod(connect, kIOHIDEventServiceUserClientUnsubscribe, [], 0);
}
