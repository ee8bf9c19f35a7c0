import type { IOUserAudioDriver } from './IOUserAudioDriver';
import { IOUserAudioObject } from './IOUserAudioObject';

/** Mirrors `IOUserAudioControl`: a control on a device, at a scope and element. */
export class IOUserAudioControl extends IOUserAudioObject {
  #settable = false;
  #element = 0;
  #scope = 0;

  protected initControl(driver: IOUserAudioDriver, settable: boolean, element: number, scope: number, classID: number): void {
    this.bind(driver, classID);
    this.#settable = settable;
    this.#element = element;
    this.#scope = scope;
  }

  /** Whether the system (apps, through the server) may change it. */
  IsSettable(): boolean {
    return this.#settable;
  }

  GetElement(): number {
    return this.#element;
  }

  GetScope(): number {
    return this.#scope;
  }

  override describe(): Record<string, unknown> {
    return { ...super.describe(), Settable: this.#settable, Scope: this.#scope, Element: this.#element };
  }
}
