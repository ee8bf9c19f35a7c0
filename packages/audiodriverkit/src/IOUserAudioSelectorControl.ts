import { IOReturnError, OSString, kIOReturnBadArgument } from '@driverkit/driverkit';
import type { IOUserAudioDriver } from './IOUserAudioDriver';
import { IOUserAudioControl } from './IOUserAudioControl';

/** Mirrors `IOUserAudioSelectorValueDescription`: `{ m_value, m_name }`. */
export interface IOUserAudioSelectorValueDescription {
  m_value: number;
  m_name: OSString | string;
}

/** Mirrors `IOUserAudioSelectorControl`: one or more of a set of named values (a data source, a clock source). */
export class IOUserAudioSelectorControl extends IOUserAudioControl {
  #items = new Map<number, string>();
  #selected: number[] = [];

  /** Mirrors `IOUserAudioSelectorControl::Create(driver, settable, element, scope, classID)`. */
  static Create(driver: IOUserAudioDriver, settable: boolean, element: number, scope: number, classID: number): IOUserAudioSelectorControl {
    const c = new IOUserAudioSelectorControl();
    c.initControl(driver, settable, element, scope, classID);
    return c;
  }

  /** Mirrors `AddControlValueDescriptions(descriptions, count)`. */
  AddControlValueDescriptions(descriptions: readonly IOUserAudioSelectorValueDescription[], count = descriptions.length): void {
    for (const d of descriptions.slice(0, count)) this.#items.set(d.m_value >>> 0, typeof d.m_name === 'string' ? d.m_name : d.m_name.getCStringNoCopy());
  }

  /** Mirrors `SetCurrentSelectedValues(values, count)`: each must be one of the described values. */
  SetCurrentSelectedValues(values: readonly number[], count = values.length): void {
    const chosen = values.slice(0, count).map((v) => v >>> 0);
    for (const v of chosen) if (!this.#items.has(v)) throw new IOReturnError(kIOReturnBadArgument, `${this.CopyName() || 'selector'}: ${v} is none of its values (${[...this.#items.keys()].join(', ')})`);
    this.#selected = chosen;
    this.changed();
  }

  /** Mirrors `GetCurrentSelectedValues(values, count)`: the selected values (the first `count`). */
  GetCurrentSelectedValues(count = this.#selected.length): number[] {
    return this.#selected.slice(0, count);
  }

  override describe(): Record<string, unknown> {
    return { ...super.describe(), Items: Object.fromEntries([...this.#items].map(([v, n]) => [String(v), n])), Selected: [...this.#selected] };
  }
}
