import { IOReturnError, OSNumber, kIOReturnBadArgument } from '@driverkit/driverkit';
import type { IOUserAudioDriver } from './IOUserAudioDriver';
import { IOUserAudioControl } from './IOUserAudioControl';

/** Mirrors `IOUserAudioLevelControlRange`. */
export interface IOUserAudioLevelControlRange {
  minDB: number;
  maxDB: number;
}

/**
 * Mirrors `IOUserAudioLevelControl`: a level in dB within a range. Its scalar value is the linear
 * gain the level stands for, 10^(dB/20), so applying it to samples gives exactly the control's dB
 * (CoreAudio leaves the scalar curve to the driver).
 */
export class IOUserAudioLevelControl extends IOUserAudioControl {
  #dB = 0;
  #range: IOUserAudioLevelControlRange = { minDB: 0, maxDB: 0 };

  /** Mirrors `IOUserAudioLevelControl::Create(driver, settable, dB, range, element, scope, classID)`. */
  static Create(driver: IOUserAudioDriver, settable: boolean, dB: number, range: IOUserAudioLevelControlRange, element: number, scope: number, classID: number): IOUserAudioLevelControl {
    if (!(range.minDB <= range.maxDB)) throw new IOReturnError(kIOReturnBadArgument, `IOUserAudioLevelControl: range ${range.minDB}…${range.maxDB} dB is empty`);
    const c = new IOUserAudioLevelControl();
    c.initControl(driver, settable, element, scope, classID);
    c.#range = { ...range };
    c.SetDecibelValue(dB);
    return c;
  }

  GetDecibelValue(): number {
    return this.#dB;
  }

  /** Mirrors `SetDecibelValue`: within the range, or kIOReturnBadArgument. */
  SetDecibelValue(dB: number): void {
    if (!(dB >= this.#range.minDB && dB <= this.#range.maxDB)) throw new IOReturnError(kIOReturnBadArgument, `${this.CopyName() || 'level control'}: ${dB} dB is outside ${this.#range.minDB}…${this.#range.maxDB} dB`);
    this.#dB = dB;
    this.changed();
  }

  /** Mirrors `GetScalarValue`: the linear gain, 10^(dB/20). */
  GetScalarValue(): number {
    return 10 ** (this.#dB / 20);
  }

  /** Mirrors `SetScalarValue`: a linear gain, kept within the range. */
  SetScalarValue(scalar: number): void {
    if (!(scalar >= 0 && scalar <= 1e6)) throw new IOReturnError(kIOReturnBadArgument, `level control: scalar ${scalar} is not a gain`);
    const dB = scalar === 0 ? this.#range.minDB : 20 * Math.log10(scalar);
    this.SetDecibelValue(Math.min(this.#range.maxDB, Math.max(this.#range.minDB, dB)));
  }

  GetDecibelRange(): IOUserAudioLevelControlRange {
    return { ...this.#range };
  }

  override describe(): Record<string, unknown> {
    // Doubles: an integer OSNumber is unsigned, and these are mostly negative.
    return { ...super.describe(), DecibelValue: OSNumber.withDouble(this.#dB), MinDecibels: OSNumber.withDouble(this.#range.minDB), MaxDecibels: OSNumber.withDouble(this.#range.maxDB) };
  }
}
