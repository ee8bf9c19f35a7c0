import { OSBoolean } from '../os/OSBoolean';
import type { OSDictionary } from '../os/OSDictionary';
import { OSNumber } from '../os/OSNumber';
import { OSString } from '../os/OSString';
import type { IODriverBundle } from './IODriverBundle';

/** Mirrors the default `IOMatchCategory`. */
export const kIODefaultMatchCategory = 'IODefaultMatchCategory';

/**
 * One entry of a driver's `IOKitPersonalities`: a matching dictionary plus what to run when it wins
 * (`IOUserClass` in the server `IOUserServerName`).
 */
export class IOPersonality {
  constructor(
    /** The key under IOKitPersonalities. */
    readonly name: string,
    readonly dictionary: OSDictionary,
    readonly bundle: IODriverBundle,
  ) {}

  /** A string key of the dictionary, or null. */
  string(key: string): string | null {
    const v = this.dictionary.getObject(key);
    return v instanceof OSString ? v.getCStringNoCopy() : null;
  }

  /** `IOProbeScore` (0 when absent). */
  get probeScore(): number {
    const v = this.dictionary.getObject('IOProbeScore');
    return v instanceof OSNumber ? Number(v.signed64BitValue()) : 0;
  }

  get matchCategory(): string {
    return this.string('IOMatchCategory') ?? kIODefaultMatchCategory;
  }

  get userClass(): string | null {
    return this.string('IOUserClass');
  }

  get userServerName(): string {
    return this.string('IOUserServerName') ?? this.bundle.bundleIdentifier;
  }

  /** `IOUserServerOneProcess`: every service of this server shares one process. */
  get oneProcess(): boolean {
    const v = this.dictionary.getObject('IOUserServerOneProcess');
    return v instanceof OSBoolean && v.isTrue();
  }

  /** `Bundle/PersonalityName`, for messages. */
  toString(): string {
    return `${this.bundle.bundleIdentifier}/${this.name}`;
  }
}
