import { IOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnBadArgument } from '../IOReturn/IOReturn';

/**
 * Mirrors IOLib's `IOSleep(milliseconds)`: waits at least that long. It yields instead of blocking,
 * so the driver's other queues (interrupts, timers, its user clients) go on meanwhile; `await` it
 * where the original sleeps.
 */
export function IOSleep(milliseconds: number): Promise<void> {
  if (!Number.isFinite(milliseconds) || milliseconds < 0) throw new IOReturnError(kIOReturnBadArgument, `IOSleep: ${milliseconds} is not a number of milliseconds`);
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}
