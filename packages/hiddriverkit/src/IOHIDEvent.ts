import type { IOFixed } from '@driverkit/driverkit';

/** Mirrors `IOHIDDigitizerStylusData`: one transducer's state, coordinates scaled to 0…1 as IOFixed. */
export interface IOHIDDigitizerStylusData {
  identifier: number;
  x: IOFixed;
  y: IOFixed;
  z: IOFixed;
  tipPressure: IOFixed;
  barrelPressure: IOFixed;
  twist: IOFixed;
  tiltX: IOFixed;
  tiltY: IOFixed;
  /** Bit 0 the tip, bit 1 the barrel switch, bit 2 the second barrel switch or eraser. */
  buttonState: number;
  inRange: boolean;
  /** The eraser end is toward the surface. */
  invert: boolean;
}

/** Mirrors `IOHIDDigitizerTouchData`: one finger, coordinates scaled to 0…1 as IOFixed. */
export interface IOHIDDigitizerTouchData {
  identifier: number;
  x: IOFixed;
  y: IOFixed;
  pressure: IOFixed;
  width: IOFixed;
  height: IOFixed;
  inRange: boolean;
  touch: boolean;
}

/**
 * A game controller's state, as `dispatchStandardGameControllerEvent` and
 * `dispatchExtendedGameControllerEvent…` carry it: buttons 0…1 and stick axes −1…1, as IOFixed.
 * The fields past `thumbstickButtonRight` are the extended events' optional buttons (0 when absent).
 */
export interface IOHIDGameControllerData {
  dpadUp: IOFixed;
  dpadDown: IOFixed;
  dpadLeft: IOFixed;
  dpadRight: IOFixed;
  faceX: IOFixed;
  faceY: IOFixed;
  faceA: IOFixed;
  faceB: IOFixed;
  shoulderL1: IOFixed;
  shoulderR1: IOFixed;
  shoulderL2: IOFixed;
  shoulderR2: IOFixed;
  joystickX: IOFixed;
  joystickY: IOFixed;
  joystickZ: IOFixed;
  joystickRz: IOFixed;
  thumbstickButtonLeft: boolean;
  thumbstickButtonRight: boolean;
  shoulderL4: IOFixed;
  shoulderR4: IOFixed;
  bottomM1: IOFixed;
  bottomM2: IOFixed;
  bottomM3: IOFixed;
  bottomM4: IOFixed;
}

/** The IOFixed fields of {@link IOHIDGameControllerData}, in Apple's argument order. */
export const kGameControllerFixedFields = ['dpadUp', 'dpadDown', 'dpadLeft', 'dpadRight', 'faceX', 'faceY', 'faceA', 'faceB', 'shoulderL1', 'shoulderR1', 'shoulderL2', 'shoulderR2', 'joystickX', 'joystickY', 'joystickZ', 'joystickRz', 'shoulderL4', 'shoulderR4', 'bottomM1', 'bottomM2', 'bottomM3', 'bottomM4'] as const;

/** What an event service dispatched, as listeners and apps receive it. */
export type IOHIDEvent =
  | { type: 'keyboard'; timestamp: bigint; usagePage: number; usage: number; value: number; options: number; repeat: boolean }
  | { type: 'relativePointer'; timestamp: bigint; dx: IOFixed; dy: IOFixed; buttonState: number; options: number; accelerate: boolean }
  | { type: 'absolutePointer'; timestamp: bigint; x: IOFixed; y: IOFixed; buttonState: number; options: number; accelerate: boolean }
  | { type: 'scroll'; timestamp: bigint; dx: IOFixed; dy: IOFixed; dz: IOFixed; options: number; accelerate: boolean }
  | { type: 'stylus'; timestamp: bigint; stylus: IOHIDDigitizerStylusData }
  | { type: 'touch'; timestamp: bigint; touch: IOHIDDigitizerTouchData }
  | { type: 'gameController'; timestamp: bigint; extended: boolean; controller: IOHIDGameControllerData; options: number };

// Apple's IOHIDEventType numbers, as the first value of an event on the wire.
const kIOHIDEventTypeKeyboard = 3;
const kIOHIDEventTypeScroll = 6;
const kIOHIDEventTypeDigitizer = 11;
const kIOHIDEventTypePointer = 17;
const kIOHIDEventTypeGameController = 35;

const u = (v: number | bigint | boolean) => BigInt.asUintN(64, BigInt(typeof v === 'boolean' ? Number(v) : v));
const s = (v: bigint) => Number(BigInt.asIntN(64, v));

/**
 * An event as at most 16 values, the most an async completion carries to an app:
 * `[IOHIDEventType, timestamp, …fields]`, signed fields two's complement.
 */
export function encodeHIDEvent(e: IOHIDEvent): bigint[] {
  switch (e.type) {
    case 'keyboard':
      return [u(kIOHIDEventTypeKeyboard), e.timestamp, u(e.usagePage), u(e.usage), u(e.value), u(e.options), u(e.repeat)];
    case 'relativePointer':
    case 'absolutePointer': {
      const [x, y] = e.type === 'relativePointer' ? [e.dx, e.dy] : [e.x, e.y];
      return [u(kIOHIDEventTypePointer), e.timestamp, u(e.type === 'absolutePointer'), u(x), u(y), u(e.buttonState), u(e.options), u(e.accelerate)];
    }
    case 'scroll':
      return [u(kIOHIDEventTypeScroll), e.timestamp, u(e.dx), u(e.dy), u(e.dz), u(e.options), u(e.accelerate)];
    case 'stylus': {
      const d = e.stylus;
      return [u(kIOHIDEventTypeDigitizer), e.timestamp, 0n, u(d.identifier), u(d.x), u(d.y), u(d.z), u(d.tipPressure), u(d.barrelPressure), u(d.twist), u(d.tiltX), u(d.tiltY), u(d.buttonState), u(Number(d.inRange) | (Number(d.invert) << 1))];
    }
    case 'touch': {
      const d = e.touch;
      return [u(kIOHIDEventTypeDigitizer), e.timestamp, 1n, u(d.identifier), u(d.x), u(d.y), u(d.pressure), u(d.width), u(d.height), u(Number(d.inRange) | (Number(d.touch) << 1))];
    }
    case 'gameController': {
      // 22 IOFixed values, two to a 64-bit value, then the flags: 15 values in all.
      const c = e.controller;
      const out = [u(kIOHIDEventTypeGameController), e.timestamp];
      for (let i = 0; i < kGameControllerFixedFields.length; i += 2) {
        out.push((u(c[kGameControllerFixedFields[i]!] >>> 0) << 32n) | u(c[kGameControllerFixedFields[i + 1]!] >>> 0));
      }
      out.push(u(Number(e.extended) | (Number(c.thumbstickButtonLeft) << 1) | (Number(c.thumbstickButtonRight) << 2) | (e.options << 3)));
      return out;
    }
  }
}

/** The inverse of {@link encodeHIDEvent}, for apps; null for an event type it does not know. */
export function decodeHIDEvent(v: readonly bigint[]): IOHIDEvent | null {
  const n = (i: number) => s(v[i] ?? 0n);
  const timestamp = v[1] ?? 0n;
  switch (n(0)) {
    case kIOHIDEventTypeKeyboard:
      return { type: 'keyboard', timestamp, usagePage: n(2), usage: n(3), value: n(4), options: n(5), repeat: n(6) !== 0 };
    case kIOHIDEventTypePointer:
      return n(2)
        ? { type: 'absolutePointer', timestamp, x: n(3), y: n(4), buttonState: n(5), options: n(6), accelerate: n(7) !== 0 }
        : { type: 'relativePointer', timestamp, dx: n(3), dy: n(4), buttonState: n(5), options: n(6), accelerate: n(7) !== 0 };
    case kIOHIDEventTypeScroll:
      return { type: 'scroll', timestamp, dx: n(2), dy: n(3), dz: n(4), options: n(5), accelerate: n(6) !== 0 };
    case kIOHIDEventTypeDigitizer:
      if (n(2) === 0) {
        return { type: 'stylus', timestamp, stylus: { identifier: n(3), x: n(4), y: n(5), z: n(6), tipPressure: n(7), barrelPressure: n(8), twist: n(9), tiltX: n(10), tiltY: n(11), buttonState: n(12), inRange: (n(13) & 1) !== 0, invert: (n(13) & 2) !== 0 } };
      }
      return { type: 'touch', timestamp, touch: { identifier: n(3), x: n(4), y: n(5), pressure: n(6), width: n(7), height: n(8), inRange: (n(9) & 1) !== 0, touch: (n(9) & 2) !== 0 } };
    case kIOHIDEventTypeGameController: {
      const controller = {} as IOHIDGameControllerData;
      for (let i = 0; i < kGameControllerFixedFields.length; i += 2) {
        const pair = v[2 + i / 2] ?? 0n;
        controller[kGameControllerFixedFields[i]!] = Number(BigInt.asIntN(32, pair >> 32n));
        controller[kGameControllerFixedFields[i + 1]!] = Number(BigInt.asIntN(32, pair));
      }
      const flags = n(13);
      controller.thumbstickButtonLeft = (flags & 2) !== 0;
      controller.thumbstickButtonRight = (flags & 4) !== 0;
      return { type: 'gameController', timestamp, extended: (flags & 1) !== 0, controller, options: flags >>> 3 };
    }
    default:
      return null;
  }
}
