import { OSContainer } from '../os/OSContainer';
import { OSObject } from '../os/OSObject';
import { toOSObject, type OSValue } from '../os/OSValue';
import { OSSerializeBinary } from './OSSerializeBinary';
import { OSUnserializeBinary, type OSUnserializeBinaryOptions } from './OSUnserializeBinary';

/**
 * Mirrors DriverKit's `OSSerialization`: an object together with its serialized bytes, in XNU's
 * OSSerializeBinary format (see {@link OSSerializeBinary}).
 *
 * `createFromObject` serializes; `finalizeBuffer` gives the bytes. `createFromBytes` deserializes at
 * once (where Apple's returns NULL, this throws an IOReturnError naming the byte offset of the first
 * problem); `copyObject` gives the object.
 */
export class OSSerialization extends OSContainer {
  readonly #bytes: Uint8Array;
  #object: OSObject | null;

  private constructor(bytes: Uint8Array, object: OSObject) {
    super();
    this.#bytes = bytes;
    this.#object = object;
  }

  /** Mirrors `OSSerialization::createFromObject`. Plain values are accepted too ({@link OSValue}). */
  static createFromObject(object: OSObject | OSValue): OSSerialization {
    const o = object instanceof OSObject ? object.retain() : toOSObject(object);
    try {
      return new OSSerialization(OSSerializeBinary(o), o);
    } catch (e) {
      o.release();
      throw e;
    }
  }

  /**
   * Mirrors `OSSerialization::createFromBytes`: decodes `bytes` now. The bytes are copied, so the
   * caller may reuse its buffer (Apple's `freeBuffer` handler has nothing to do here).
   */
  static createFromBytes(bytes: Uint8Array, options?: OSUnserializeBinaryOptions): OSSerialization {
    const object = OSUnserializeBinary(bytes, options);
    return new OSSerialization(bytes.slice(), object);
  }

  /** Mirrors `OSSerialization::finalizeBuffer`: the serialized bytes (valid while this object lives). */
  finalizeBuffer(): Uint8Array {
    return this.#bytes;
  }

  /** Mirrors `OSSerializationGetBytes`'s length. */
  getLength(): number {
    return this.#bytes.length;
  }

  /** Mirrors `OSSerialization::copyObject`: the object, retained for the caller. */
  copyObject(): OSObject {
    if (!this.#object) throw new Error('OSSerialization.copyObject() after free()');
    return this.#object.retain();
  }

  override free(): void {
    this.#object?.release();
    this.#object = null;
    super.free();
  }
}
