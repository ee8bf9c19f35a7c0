import { IOReturnError, OSNumber, kIOReturnBadArgument } from '@driverkit/driverkit';
import type { IOUserAudioDriver } from './IOUserAudioDriver';
import { IOUserAudioControl } from './IOUserAudioControl';

/** Mirrors `IOUserAudioStereoPanControl`: a position between two channels, 0 (left) … 0.5 (centre) … 1 (right). */
export class IOUserAudioStereoPanControl extends IOUserAudioControl {
  #value = 0.5;
  #channels: [number, number] = [1, 2];

  /** Mirrors `IOUserAudioStereoPanControl::Create(driver, settable, value, panChannels, element, scope, classID)`. */
  static Create(driver: IOUserAudioDriver, settable: boolean, value: number, panChannels: readonly [number, number], element: number, scope: number, classID: number): IOUserAudioStereoPanControl {
    const c = new IOUserAudioStereoPanControl();
    c.initControl(driver, settable, element, scope, classID);
    c.#channels = [panChannels[0], panChannels[1]];
    c.SetValue(value);
    return c;
  }

  GetValue(): number {
    return this.#value;
  }

  /** Mirrors `SetValue`: 0 … 1. */
  SetValue(value: number): void {
    if (!(value >= 0 && value <= 1)) throw new IOReturnError(kIOReturnBadArgument, `${this.CopyName() || 'stereo pan'}: ${value} is outside 0…1`);
    this.#value = value;
    this.changed();
  }

  /** The gains the position gives the two channels (constant power: cos and sin of the quarter turn). */
  GetChannelGains(): [number, number] {
    return [Math.cos((this.#value * Math.PI) / 2), Math.sin((this.#value * Math.PI) / 2)];
  }

  GetPanChannels(): [number, number] {
    return [...this.#channels];
  }

  override describe(): Record<string, unknown> {
    return { ...super.describe(), Value: OSNumber.withDouble(this.#value), PanChannels: [...this.#channels] };
  }
}
