import { kIOUSBHostConnectionSpeedFull, kIOUSBHostConnectionSpeedHigh, kIOUSBHostConnectionSpeedLow, kIOUSBEndpointTypeInterrupt, kIOUSBEndpointTypeIsochronous, kIOUSBEndpointTypeBulk } from './USBConstants';
import type { IOUSBEndpointDescriptor, IOUSBSuperSpeedEndpointCompanionDescriptor } from './USBDescriptors';

// Apple's endpoint helpers (IOUSBGetEndpoint*), as pure functions of the descriptor and the bus speed.

export const IOUSBGetEndpointAddress = (ep: IOUSBEndpointDescriptor): number => ep.bEndpointAddress;
export const IOUSBGetEndpointNumber = (ep: IOUSBEndpointDescriptor): number => ep.bEndpointAddress & 0x0f;
/** kIOUSBEndpointDirectionIn (1) or kIOUSBEndpointDirectionOut (0). */
export const IOUSBGetEndpointDirection = (ep: IOUSBEndpointDescriptor): number => (ep.bEndpointAddress & 0x80) >> 7;
/** kIOUSBEndpointType*: control, isochronous, bulk, interrupt. */
export const IOUSBGetEndpointType = (ep: IOUSBEndpointDescriptor): number => ep.bmAttributes & 0x03;
export const IOUSBGetEndpointSynchronizationType = (ep: IOUSBEndpointDescriptor): number => (ep.bmAttributes >> 2) & 0x03;
export const IOUSBGetEndpointUsageType = (ep: IOUSBEndpointDescriptor): number => (ep.bmAttributes >> 4) & 0x03;

/** The packet size (bits 0-10; high-bandwidth multipliers are IOUSBGetEndpointBurstSize's). */
export function IOUSBGetEndpointMaxPacketSize(_speed: number, ep: IOUSBEndpointDescriptor): number {
  return ep.wMaxPacketSize & 0x07ff;
}

/** Extra transactions per (micro)frame: high-speed bits 11-12, or the SuperSpeed companion's bMaxBurst. */
export function IOUSBGetEndpointBurstSize(speed: number, ep: IOUSBEndpointDescriptor, companion: IOUSBSuperSpeedEndpointCompanionDescriptor | null = null): number {
  if (speed === kIOUSBHostConnectionSpeedHigh) return (ep.wMaxPacketSize >> 11) & 0x03;
  return speed > kIOUSBHostConnectionSpeedHigh && companion ? companion.bMaxBurst : 0;
}

/** SuperSpeed isochronous Mult (companion bmAttributes bits 0-1). */
export function IOUSBGetEndpointMult(speed: number, ep: IOUSBEndpointDescriptor, companion: IOUSBSuperSpeedEndpointCompanionDescriptor | null = null): number {
  return speed > kIOUSBHostConnectionSpeedHigh && companion && IOUSBGetEndpointType(ep) === kIOUSBEndpointTypeIsochronous ? companion.bmAttributes & 0x03 : 0;
}

/** Encoded SuperSpeed bulk streams (companion bmAttributes bits 0-4); IOUSBGetEndpointMaxStreams is 2^this. */
export function IOUSBGetEndpointMaxStreamsEncoded(speed: number, ep: IOUSBEndpointDescriptor, companion: IOUSBSuperSpeedEndpointCompanionDescriptor | null = null): number {
  return speed > kIOUSBHostConnectionSpeedHigh && companion && IOUSBGetEndpointType(ep) === kIOUSBEndpointTypeBulk ? companion.bmAttributes & 0x1f : 0;
}

export function IOUSBGetEndpointMaxStreams(speed: number, ep: IOUSBEndpointDescriptor, companion: IOUSBSuperSpeedEndpointCompanionDescriptor | null = null): number {
  const e = IOUSBGetEndpointMaxStreamsEncoded(speed, ep, companion);
  return e === 0 ? 0 : 2 ** e;
}

/**
 * The service interval as a power of two of 125 µs microframes: low/full-speed interrupt bInterval
 * is in 1 ms frames (rounded down to a power of two), full-speed isochronous and every high-speed or
 * faster periodic endpoint use 2^(bInterval-1) (micro)frames.
 */
export function IOUSBGetEndpointIntervalEncodedMicroframes(speed: number, ep: IOUSBEndpointDescriptor): number {
  const type = IOUSBGetEndpointType(ep);
  if (type !== kIOUSBEndpointTypeInterrupt && type !== kIOUSBEndpointTypeIsochronous) return 0;
  const interval = Math.max(1, ep.bInterval);
  if ((speed === kIOUSBHostConnectionSpeedLow || speed === kIOUSBHostConnectionSpeedFull) && type === kIOUSBEndpointTypeInterrupt) {
    return 3 + Math.floor(Math.log2(Math.min(interval, 255)));
  }
  const exp = Math.min(interval, 16) - 1;
  return speed === kIOUSBHostConnectionSpeedLow || speed === kIOUSBHostConnectionSpeedFull ? exp + 3 : exp;
}

export function IOUSBGetEndpointIntervalMicroframes(speed: number, ep: IOUSBEndpointDescriptor): number {
  const type = IOUSBGetEndpointType(ep);
  if (type !== kIOUSBEndpointTypeInterrupt && type !== kIOUSBEndpointTypeIsochronous) return 0;
  return 2 ** IOUSBGetEndpointIntervalEncodedMicroframes(speed, ep);
}

export function IOUSBGetEndpointIntervalFrames(speed: number, ep: IOUSBEndpointDescriptor): number {
  const micro = IOUSBGetEndpointIntervalMicroframes(speed, ep);
  return micro === 0 ? 0 : Math.max(1, micro / 8);
}
