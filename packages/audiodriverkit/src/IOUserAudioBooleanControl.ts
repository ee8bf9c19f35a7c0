import type { IOUserAudioDriver } from './IOUserAudioDriver';
import { IOUserAudioControl } from './IOUserAudioControl';

/** Mirrors `IOUserAudioBooleanControl`: on or off (a mute, a phantom power switch). */
export class IOUserAudioBooleanControl extends IOUserAudioControl {
  #value = false;

  /** Mirrors `IOUserAudioBooleanControl::Create(driver, settable, value, element, scope, classID)`. */
  static Create(driver: IOUserAudioDriver, settable: boolean, value: boolean, element: number, scope: number, classID: number): IOUserAudioBooleanControl {
    const c = new IOUserAudioBooleanControl();
    c.initControl(driver, settable, element, scope, classID);
    c.#value = value;
    return c;
  }

  GetControlValue(): boolean {
    return this.#value;
  }

  SetControlValue(value: boolean): void {
    this.#value = value;
    this.changed();
  }

  override describe(): Record<string, unknown> {
    return { ...super.describe(), Value: this.#value };
  }
}
