import { kIOFixedOne, type IOFixed } from '@driverkit/driverkit';
import type { IOHIDElement } from './IOHIDElement';
import * as U from './descriptor/HIDUsages';
import type { IOHIDDigitizerStylusData, IOHIDDigitizerTouchData } from './IOHIDEvent';

/** Mirrors `IOHIDDigitizerCollectionType`. */
export const kIOHIDDigitizerCollectionTypeStylus = 0;
export const kIOHIDDigitizerCollectionTypeFinger = 2;

/** A role's element with its scale worked out once: per report, a subtraction and a multiply. */
interface Scaled {
  element: IOHIDElement;
  min: number;
  /** IOFixed units per logical step. */
  factor: number;
  offset: IOFixed;
}

/**
 * `getScaledValue(kIOHIDValueScaleTypeCalibrated)` (0…1, or −1…1 for a signed range) or, for
 * angles, `getScaledValue(kIOHIDValueScaleTypePhysical)` (degrees when the unit says so), as IOFixed.
 */
function scaled(e: IOHIDElement | undefined, physical: boolean): Scaled | undefined {
  if (!e) return undefined;
  const min = e.getLogicalMin();
  const span = e.getLogicalMax() - min;
  if (span === 0) return { element: e, min: 0, factor: kIOFixedOne, offset: 0 };
  let [to, from] = [1, 0];
  if (physical) {
    [from, to] = [e.getPhysicalMin(), e.getPhysicalMax()];
    // HID 1.11 §6.2.2.7: a physical range of 0…0 means "the same as the logical range".
    if (from === 0 && to === 0) [from, to] = [min, min + span];
  } else if (min < 0) {
    [from, to] = [-1, 1];
  }
  return { element: e, min, factor: ((to - from) / span) * kIOFixedOne, offset: from * kIOFixedOne };
}

// Clamped as IOFixedFromDouble clamps: a wild value saturates rather than wrapping.
const fixed = (s: Scaled | undefined, fallback: IOFixed): IOFixed =>
  s ? Math.max(-0x8000_0000, Math.min(0x7fff_ffff, Math.round(s.offset + (s.element.value - s.min) * s.factor))) | 0 : fallback;
const on = (e: IOHIDElement | undefined): boolean => (e ? e.value !== 0 : false);

/**
 * Mirrors `IOHIDDigitizerCollection`: the elements of one transducer (a stylus, a puck or a finger),
 * found by climbing each element's parents to its digitizer collection, as Apple's stylus sample does.
 * Each element's role (tip, X, pressure, …) is settled when it is added, so a report costs a few
 * field reads; the first element a transducer has in each report tells whether a report carried it.
 */
export class IOHIDDigitizerCollection {
  readonly elements: IOHIDElement[] = [];
  readonly #roles = new Map<number, IOHIDElement>();
  /** Per report ID, one element of this transducer that report carries. */
  readonly #witness: (IOHIDElement | undefined)[] = [];
  #x?: Scaled;
  #y?: Scaled;
  #z?: Scaled;
  #tipPressure?: Scaled;
  #barrelPressure?: Scaled;
  #twist?: Scaled;
  #tiltX?: Scaled;
  #tiltY?: Scaled;
  #width?: Scaled;
  #height?: Scaled;
  #tip?: IOHIDElement;
  #touch?: IOHIDElement;
  #inRange?: IOHIDElement;
  #barrel?: IOHIDElement;
  #eraser?: IOHIDElement;
  #invert?: IOHIDElement;
  #contact?: IOHIDElement;

  constructor(
    readonly type: number,
    readonly collection: IOHIDElement,
  ) {}

  /** Adds one of the transducer's elements; the first element with a usage takes that role. */
  addElement(e: IOHIDElement): void {
    this.elements.push(e);
    this.#witness[e.getReportID()] ??= e;
    const key = e.getUsagePage() * 0x10000 + e.getUsage();
    if (this.#roles.has(key)) return;
    this.#roles.set(key, e);
    const role = (page: number, usage: number) => this.#roles.get(page * 0x10000 + usage);
    const GD = U.kHIDPage_GenericDesktop;
    const D = U.kHIDPage_Digitizer;
    this.#x = scaled(role(GD, U.kHIDUsage_GD_X), false);
    this.#y = scaled(role(GD, U.kHIDUsage_GD_Y), false);
    this.#z = scaled(role(GD, U.kHIDUsage_GD_Z), false);
    this.#tipPressure = scaled(role(D, U.kHIDUsage_Dig_TipPressure), false);
    this.#barrelPressure = scaled(role(D, U.kHIDUsage_Dig_BarrelPressure), false);
    this.#twist = scaled(role(D, U.kHIDUsage_Dig_Twist), false);
    // Tilt is an angle: its physical value, not a fraction.
    this.#tiltX = scaled(role(D, U.kHIDUsage_Dig_XTilt), true);
    this.#tiltY = scaled(role(D, U.kHIDUsage_Dig_YTilt), true);
    this.#width = scaled(role(D, U.kHIDUsage_Dig_Width), false);
    this.#height = scaled(role(D, U.kHIDUsage_Dig_Height), false);
    this.#tip = role(D, U.kHIDUsage_Dig_TipSwitch);
    this.#touch = this.#tip ?? role(D, U.kHIDUsage_Dig_Touch);
    this.#inRange = role(D, U.kHIDUsage_Dig_InRange);
    this.#barrel = role(D, U.kHIDUsage_Dig_BarrelSwitch);
    this.#eraser = role(D, U.kHIDUsage_Dig_Eraser);
    this.#invert = role(D, U.kHIDUsage_Dig_Invert);
    this.#contact = role(D, U.kHIDUsage_Dig_ContactIdentifier);
  }

  /** True when `reportID`'s report at `timestamp` carried this transducer's elements. */
  updatedBy(timestamp: bigint, reportID: number): boolean {
    return this.#witness[reportID]?.getTimeStamp() === timestamp;
  }

  /** True when the transducer has a position to report. */
  hasPosition(): boolean {
    return this.#x !== undefined && this.#y !== undefined;
  }

  stylusData(identifier: number): IOHIDDigitizerStylusData {
    const tip = on(this.#tip);
    return {
      identifier,
      x: fixed(this.#x, 0),
      y: fixed(this.#y, 0),
      z: fixed(this.#z, 0),
      // Without a pressure sensor, the tip switch is all or nothing.
      tipPressure: fixed(this.#tipPressure, tip ? kIOFixedOne : 0),
      barrelPressure: fixed(this.#barrelPressure, 0),
      twist: fixed(this.#twist, 0),
      tiltX: fixed(this.#tiltX, 0),
      tiltY: fixed(this.#tiltY, 0),
      buttonState: Number(tip) | (Number(on(this.#barrel)) << 1) | (Number(on(this.#eraser)) << 2),
      // A stylus without an in-range bit is in range while its tip is down.
      inRange: this.#inRange ? on(this.#inRange) : tip,
      invert: on(this.#invert) || on(this.#eraser),
    };
  }

  touchData(identifier: number): IOHIDDigitizerTouchData {
    const touch = on(this.#touch);
    return {
      identifier: this.#contact ? this.#contact.value : identifier,
      x: fixed(this.#x, 0),
      y: fixed(this.#y, 0),
      pressure: fixed(this.#tipPressure, touch ? kIOFixedOne : 0),
      width: fixed(this.#width, 0),
      height: fixed(this.#height, 0),
      inRange: this.#inRange ? on(this.#inRange) : touch,
      touch,
    };
  }
}
