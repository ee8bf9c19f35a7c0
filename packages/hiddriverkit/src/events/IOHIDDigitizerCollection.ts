import { IOFixedFromDouble, kIOFixedOne, type IOFixed } from '@driverkit/driverkit';
import { kIOHIDValueScaleTypeCalibrated, type IOHIDElement } from '../descriptor/IOHIDElement';
import * as U from './HIDUsages';
import type { IOHIDDigitizerStylusData, IOHIDDigitizerTouchData } from './IOHIDEvent';

/** Mirrors `IOHIDDigitizerCollectionType`. */
export const kIOHIDDigitizerCollectionTypeStylus = 0;
export const kIOHIDDigitizerCollectionTypeFinger = 2;

const calibrated = (e: IOHIDElement | undefined, fallback = 0): IOFixed => (e ? IOFixedFromDouble(e.getScaledValue(kIOHIDValueScaleTypeCalibrated)) : fallback);
const on = (e: IOHIDElement | undefined) => (e ? e.value !== 0 : false);

/**
 * Mirrors `IOHIDDigitizerCollection`: the elements of one transducer (a stylus, a puck or a finger),
 * found by climbing each element's parents to its digitizer collection, as Apple's stylus sample does.
 */
export class IOHIDDigitizerCollection {
  readonly elements: IOHIDElement[] = [];
  /** The transducer's elements by usage (`page << 16 | usage`). */
  readonly #byUsage = new Map<number, IOHIDElement>();

  constructor(
    readonly type: number,
    readonly collection: IOHIDElement,
  ) {}

  addElement(e: IOHIDElement): void {
    this.elements.push(e);
    const key = e.getUsagePage() * 0x10000 + e.getUsage();
    if (!this.#byUsage.has(key)) this.#byUsage.set(key, e);
  }

  #get(page: number, usage: number): IOHIDElement | undefined {
    return this.#byUsage.get(page * 0x10000 + usage);
  }

  /** True when `reportID`'s report at `timestamp` carried any of this transducer's elements. */
  updatedBy(timestamp: bigint, reportID: number): boolean {
    return this.elements.some((e) => e.getReportID() === reportID && e.getTimeStamp() === timestamp);
  }

  /** True when the transducer has a position to report. */
  hasPosition(): boolean {
    return !!this.#get(U.kHIDPage_GenericDesktop, U.kHIDUsage_GD_X) && !!this.#get(U.kHIDPage_GenericDesktop, U.kHIDUsage_GD_Y);
  }

  stylusData(identifier: number): IOHIDDigitizerStylusData {
    const D = U.kHIDPage_Digitizer;
    const tip = this.#get(D, U.kHIDUsage_Dig_TipSwitch);
    const inRange = this.#get(D, U.kHIDUsage_Dig_InRange);
    const buttons = Number(on(tip)) | (Number(on(this.#get(D, U.kHIDUsage_Dig_BarrelSwitch))) << 1) | (Number(on(this.#get(D, U.kHIDUsage_Dig_Eraser))) << 2);
    return {
      identifier,
      x: calibrated(this.#get(U.kHIDPage_GenericDesktop, U.kHIDUsage_GD_X)),
      y: calibrated(this.#get(U.kHIDPage_GenericDesktop, U.kHIDUsage_GD_Y)),
      z: calibrated(this.#get(U.kHIDPage_GenericDesktop, U.kHIDUsage_GD_Z)),
      // Without a pressure sensor, the tip switch is all or nothing.
      tipPressure: calibrated(this.#get(D, U.kHIDUsage_Dig_TipPressure), on(tip) ? kIOFixedOne : 0),
      barrelPressure: calibrated(this.#get(D, U.kHIDUsage_Dig_BarrelPressure)),
      twist: calibrated(this.#get(D, U.kHIDUsage_Dig_Twist)),
      tiltX: this.#physical(D, U.kHIDUsage_Dig_XTilt),
      tiltY: this.#physical(D, U.kHIDUsage_Dig_YTilt),
      buttonState: buttons,
      // A stylus without an in-range bit is in range while its tip is down.
      inRange: inRange ? on(inRange) : on(tip),
      invert: on(this.#get(D, U.kHIDUsage_Dig_Invert)) || on(this.#get(D, U.kHIDUsage_Dig_Eraser)),
    };
  }

  touchData(identifier: number): IOHIDDigitizerTouchData {
    const D = U.kHIDPage_Digitizer;
    const touch = this.#get(D, U.kHIDUsage_Dig_TipSwitch) ?? this.#get(D, U.kHIDUsage_Dig_Touch);
    const inRange = this.#get(D, U.kHIDUsage_Dig_InRange);
    const contact = this.#get(D, U.kHIDUsage_Dig_ContactIdentifier);
    return {
      identifier: contact ? contact.value : identifier,
      x: calibrated(this.#get(U.kHIDPage_GenericDesktop, U.kHIDUsage_GD_X)),
      y: calibrated(this.#get(U.kHIDPage_GenericDesktop, U.kHIDUsage_GD_Y)),
      pressure: calibrated(this.#get(D, U.kHIDUsage_Dig_TipPressure), on(touch) ? kIOFixedOne : 0),
      width: calibrated(this.#get(D, U.kHIDUsage_Dig_Width)),
      height: calibrated(this.#get(D, U.kHIDUsage_Dig_Height)),
      inRange: inRange ? on(inRange) : on(touch),
      touch: on(touch),
    };
  }

  // Tilt is an angle: its physical value (degrees, when the unit says so), not a fraction.
  #physical(page: number, usage: number): IOFixed {
    const e = this.#get(page, usage);
    return e ? IOFixedFromDouble(e.getScaledValue()) : 0;
  }
}
