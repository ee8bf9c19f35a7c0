import { OSString } from '@driverkit/driverkit';
import type { IOUserAudioDriver } from './IOUserAudioDriver';
import { IOUserAudioObject } from './IOUserAudioObject';
import { IOUserAudioClassID } from './IOUserAudioTypes';

/** Mirrors `IOUserAudioObjectPropertyAddress`. */
export interface IOUserAudioObjectPropertyAddress {
  selector: number;
  scope: number;
  element: number;
}

/** Mirrors `IOUserAudioCustomProperty`: a driver-defined property, qualifier → data pairs. */
export class IOUserAudioCustomProperty extends IOUserAudioObject {
  #address: IOUserAudioObjectPropertyAddress = { selector: 0, scope: 0, element: 0 };
  #settable = false;
  #qualifierType = 0;
  #dataType = 0;
  readonly #values = new Map<string, string>();

  /** Mirrors `IOUserAudioCustomProperty::Create(driver, address, settable, qualifierType, dataType)`. */
  static Create(driver: IOUserAudioDriver, address: IOUserAudioObjectPropertyAddress, settable: boolean, qualifierType: number, dataType: number): IOUserAudioCustomProperty {
    const p = new IOUserAudioCustomProperty();
    p.bind(driver, IOUserAudioClassID.CustomProperty);
    p.#address = { ...address };
    p.#settable = settable;
    p.#qualifierType = qualifierType;
    p.#dataType = dataType;
    return p;
  }

  /** Mirrors `SetQualifierAndDataValue(qualifier, data)`. */
  SetQualifierAndDataValue(qualifier: OSString | string, data: OSString | string): void {
    const s = (v: OSString | string) => (typeof v === 'string' ? v : v.getCStringNoCopy());
    this.#values.set(s(qualifier), s(data));
  }

  /** The data value for `qualifier`, or null. */
  GetDataValue(qualifier: string): string | null {
    return this.#values.get(qualifier) ?? null;
  }

  GetPropertyAddress(): IOUserAudioObjectPropertyAddress {
    return { ...this.#address };
  }

  override describe(): Record<string, unknown> {
    return { ...super.describe(), Selector: this.#address.selector, Settable: this.#settable, QualifierType: this.#qualifierType, DataType: this.#dataType, Values: Object.fromEntries(this.#values) };
  }
}
