import { OSContainer } from './OSContainer';

/**
 * Mirrors `OSData`: a growable byte buffer. Bytes given to {@link OSData.withBytes} are copied, as
 * Apple's are; {@link OSData.getBytesNoCopy} returns a view of the object's own storage.
 */
export class OSData extends OSContainer {
  #bytes: Uint8Array;
  #length: number;

  private constructor(storage: Uint8Array, length: number) {
    super();
    this.#bytes = storage;
    this.#length = length;
  }

  /** Mirrors `OSData::withCapacity`: empty, with room for `capacity` bytes. */
  static withCapacity(capacity: number): OSData {
    if (!Number.isInteger(capacity) || capacity < 0) throw new TypeError(`OSData capacity must be a non-negative integer, got ${capacity}`);
    return new OSData(new Uint8Array(capacity), 0);
  }

  /** Mirrors `OSData::withBytes` / `OSDataCreate`: a copy of `bytes`. */
  static withBytes(bytes: ArrayLike<number> | ArrayBufferView | ArrayBuffer): OSData {
    const copy = toBytes(bytes).slice();
    return new OSData(copy, copy.length);
  }

  /**
   * Mirrors `OSData::withBytesNoCopy`: wraps `bytes` without copying; later writes to either are
   * visible in both. Use only when the caller hands the buffer over.
   */
  static withBytesNoCopy(bytes: Uint8Array): OSData {
    return new OSData(bytes, bytes.length);
  }

  /** Mirrors `OSData::getLength`. */
  getLength(): number {
    return this.#length;
  }

  /** Mirrors `OSData::getCapacity`. */
  getCapacity(): number {
    return this.#bytes.length;
  }

  /** Mirrors `OSData::getBytesNoCopy`: a view of the stored bytes (valid until the next append). */
  getBytesNoCopy(): Uint8Array {
    return this.#bytes.subarray(0, this.#length);
  }

  /** Mirrors `OSData::appendBytes`. */
  appendBytes(bytes: ArrayLike<number> | ArrayBufferView | ArrayBuffer): boolean {
    const add = toBytes(bytes);
    const needed = this.#length + add.length;
    if (needed > this.#bytes.length) {
      const grown = new Uint8Array(Math.max(needed, this.#bytes.length * 2, 16));
      grown.set(this.#bytes.subarray(0, this.#length));
      this.#bytes = grown;
    }
    this.#bytes.set(add, this.#length);
    this.#length = needed;
    return true;
  }

  override isEqualTo(other: unknown): boolean {
    if (!(other instanceof OSData)) return false;
    if (other.#length !== this.#length) return false;
    const a = this.#bytes;
    const b = other.#bytes;
    for (let i = 0; i < this.#length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
}

function toBytes(bytes: ArrayLike<number> | ArrayBufferView | ArrayBuffer): Uint8Array {
  // Strings are array-like too; refusing them avoids silently storing NaN-turned-zero bytes.
  if (bytes instanceof Uint8Array) return bytes;
  if (bytes instanceof ArrayBuffer) return new Uint8Array(bytes);
  if (ArrayBuffer.isView(bytes)) return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (Array.isArray(bytes)) return Uint8Array.from(bytes as ArrayLike<number>);
  throw new TypeError('OSData expects bytes: a Uint8Array, an ArrayBuffer, a typed array or an array of numbers');
}
