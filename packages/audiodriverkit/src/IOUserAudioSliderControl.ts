import { IOReturnError, kIOReturnBadArgument } from '@driverkit/driverkit';
import type { IOUserAudioDriver } from './IOUserAudioDriver';
import { IOUserAudioControl } from './IOUserAudioControl';

/** Mirrors `IOUserAudioSliderControl`: an integer value within a range. */
export class IOUserAudioSliderControl extends IOUserAudioControl {
  #value = 0;
  #range: [number, number] = [0, 0];

  /** Mirrors `IOUserAudioSliderControl::Create(driver, settable, value, range, element, scope, classID)`; the range is `[min, max]`. */
  static Create(driver: IOUserAudioDriver, settable: boolean, value: number, range: readonly [number, number], element: number, scope: number, classID: number): IOUserAudioSliderControl {
    if (!(Number.isInteger(range[0]) && Number.isInteger(range[1]) && range[0] <= range[1])) throw new IOReturnError(kIOReturnBadArgument, `IOUserAudioSliderControl: range ${range[0]}…${range[1]} is not an integer range`);
    const c = new IOUserAudioSliderControl();
    c.initControl(driver, settable, element, scope, classID);
    c.#range = [range[0], range[1]];
    c.SetValue(value);
    return c;
  }

  GetValue(): number {
    return this.#value;
  }

  /** Mirrors `SetValue`: an integer within the range. */
  SetValue(value: number): void {
    if (!Number.isInteger(value) || value < this.#range[0] || value > this.#range[1]) throw new IOReturnError(kIOReturnBadArgument, `${this.CopyName() || 'slider'}: ${value} is outside ${this.#range[0]}…${this.#range[1]}`);
    this.#value = value;
    this.changed();
  }

  GetRange(): [number, number] {
    return [...this.#range];
  }

  override describe(): Record<string, unknown> {
    return { ...super.describe(), Value: this.#value, Minimum: this.#range[0], Maximum: this.#range[1] };
  }
}
