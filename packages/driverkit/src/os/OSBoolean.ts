import { OSContainer } from './OSContainer';

/**
 * Mirrors `OSBoolean`: there are exactly two, {@link kOSBooleanTrue} and {@link kOSBooleanFalse}, so
 * identity comparison is value comparison, as in Apple's runtime.
 */
export class OSBoolean extends OSContainer {
  readonly #value: boolean;

  private constructor(value: boolean) {
    super();
    this.#value = value;
    this.markImmortal();
  }

  /** @internal */
  static readonly True: OSBoolean = new OSBoolean(true);
  /** @internal */
  static readonly False: OSBoolean = new OSBoolean(false);

  /** Mirrors `OSBoolean::withBoolean`: returns one of the singletons. */
  static withBoolean(value: boolean): OSBoolean {
    return value ? OSBoolean.True : OSBoolean.False;
  }

  /** Mirrors `OSBoolean::isTrue`. */
  isTrue(): boolean {
    return this.#value;
  }

  /** Mirrors `OSBoolean::isFalse`. */
  isFalse(): boolean {
    return !this.#value;
  }

  /** Mirrors `OSBoolean::getValue`. */
  getValue(): boolean {
    return this.#value;
  }

  override isEqualTo(other: unknown): boolean {
    return other === this;
  }
}

/** Mirrors `kOSBooleanTrue`. */
export const kOSBooleanTrue: OSBoolean = OSBoolean.withBoolean(true);
/** Mirrors `kOSBooleanFalse`. */
export const kOSBooleanFalse: OSBoolean = OSBoolean.withBoolean(false);
