import { OSContainer } from './OSContainer';

/**
 * Mirrors `OSString`: an immutable UTF-8 string. `isEqualTo` accepts another OSString (or OSSymbol)
 * or a plain JavaScript string, as `OSString::isEqualTo(const char *)` does.
 */
export class OSString extends OSContainer {
  readonly #value: string;

  /** Use {@link OSString.withCString}; the constructor is for subclasses. */
  protected constructor(value: string) {
    super();
    this.#value = value;
  }

  /** Mirrors `OSString::withCString` / `OSStringCreate`. */
  static withCString(value: string): OSString {
    if (typeof value !== 'string') throw new TypeError(`OSString.withCString expects a string, got ${typeof value}`);
    return new OSString(value);
  }

  /** Mirrors `OSString::withString`: a new OSString with the same characters. */
  static withString(other: OSString): OSString {
    return new OSString(other.getCStringNoCopy());
  }

  /** Mirrors `OSString::getCStringNoCopy`. */
  getCStringNoCopy(): string {
    return this.#value;
  }

  /** Mirrors `OSString::getLength`: the length in UTF-8 bytes, as Apple counts it. */
  getLength(): number {
    return Buffer.byteLength(this.#value, 'utf8');
  }

  override isEqualTo(other: unknown): boolean {
    if (typeof other === 'string') return other === this.#value;
    return other instanceof OSString && other.#value === this.#value;
  }

  override toString(): string {
    return this.#value;
  }
}
