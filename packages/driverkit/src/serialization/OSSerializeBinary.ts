import { IOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnBadArgument, kIOReturnUnsupported } from '../IOReturn/IOReturn';
import { OSArray } from '../os/OSArray';
import { OSBoolean } from '../os/OSBoolean';
import { OSCollection } from '../os/OSCollection';
import { OSData } from '../os/OSData';
import { OSDictionary } from '../os/OSDictionary';
import { OSNumber } from '../os/OSNumber';
import { OSObject } from '../os/OSObject';
import type { OSSet } from '../os/OSSet';
import { OSString } from '../os/OSString';
import { OSSymbol } from '../os/OSSymbol';
import { toOSObject, type OSValue } from '../os/OSValue';
import {
  kOSSerializeArray,
  kOSSerializeBinarySignature,
  kOSSerializeBoolean,
  kOSSerializeData,
  kOSSerializeDataMask,
  kOSSerializeDictionary,
  kOSSerializeEndCollection,
  kOSSerializeMaxDepth,
  kOSSerializeNumber,
  kOSSerializeObject,
  kOSSerializeSet,
  kOSSerializeString,
  kOSSerializeSymbol,
} from './OSSerializeBinaryFormat';

// One scratch buffer reused by every call (encoding is synchronous); the result is copied out.
let buf = Buffer.allocUnsafe(4096);
let view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);

/**
 * A dictionary key's encoding (key word and NUL-terminated, padded bytes), computed once per string.
 * `epoch`/`index` record whether, and as which object, the key was already written in the current
 * call: XNU writes a repeated symbol as a back-reference. The cache is cleared when it grows large,
 * so hostile key sets cannot grow it without bound.
 */
interface KeyEncoding {
  readonly word: number;
  readonly bytes: Uint8Array;
  epoch: number;
  index: number;
}
const keyCache = new Map<string, KeyEncoding>();
const KEY_CACHE_LIMIT = 8192;
let epoch = 0;

function keyEncoding(k: string): KeyEncoding {
  let e = keyCache.get(k);
  if (e === undefined) {
    const utf8 = Buffer.from(`${k}\0`, 'utf8');
    if (utf8.length > kOSSerializeDataMask) {
      throw new IOReturnError(kIOReturnBadArgument, `OSSerialization: a key of ${utf8.length} bytes exceeds the format's 24-bit length`);
    }
    const bytes = new Uint8Array((utf8.length + 3) & ~3);
    bytes.set(utf8);
    e = { word: kOSSerializeSymbol | utf8.length, bytes, epoch: 0, index: 0 };
    if (keyCache.size >= KEY_CACHE_LIMIT) keyCache.clear();
    keyCache.set(k, e);
  }
  return e;
}

function ensure(pos: number, extra: number): void {
  const need = pos + extra;
  if (need <= buf.length) return;
  const grown = Buffer.allocUnsafe(Math.max(need, buf.length * 2));
  buf.copy(grown, 0, 0, pos);
  buf = grown;
  view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

class Writer {
  pos = 4;
  /** Objects written so far that may appear again, with their object index. */
  readonly tags = new Map<OSObject, number>();
  readonly open = new Set<OSObject>();
  /** Objects written so far: the next object's index, as the decoder counts them. */
  count = 0;
  readonly epoch = ++epoch;

  word(w: number): void {
    ensure(this.pos, 4);
    view.setUint32(this.pos, w >>> 0, true);
    this.pos += 4;
  }

  /** Writes `type | length` and the UTF-8 bytes of a string value, padded to 4. */
  text(type: number, s: string, end: number): void {
    ensure(this.pos, s.length * 3 + 8);
    const start = this.pos + 4;
    let n = 0;
    // Short ASCII strings (most values) are copied by hand: cheaper than an encoder call.
    if (s.length <= 32) {
      for (; n < s.length; n++) {
        const c = s.charCodeAt(n);
        if (c >= 0x80) break;
        buf[start + n] = c;
      }
    }
    if (n < s.length) n = buf.write(s, start, 'utf8');
    if (n > kOSSerializeDataMask) {
      throw new IOReturnError(kIOReturnBadArgument, `OSSerialization: a string of ${n} bytes exceeds the format's 24-bit length`);
    }
    view.setUint32(this.pos, (type | n | end) >>> 0, true);
    this.pos = start + pad(start, n);
  }

  key(k: string): void {
    const e = keyEncoding(k);
    if (e.epoch === this.epoch) {
      this.word(kOSSerializeObject | e.index);
      return;
    }
    e.epoch = this.epoch;
    e.index = this.count++;
    ensure(this.pos, 4 + e.bytes.length);
    view.setUint32(this.pos, e.word, true);
    buf.set(e.bytes, this.pos + 4);
    this.pos += 4 + e.bytes.length;
  }

  object(o: OSObject, end: number, depth: number): void {
    // An object held by one reference can occur only once in the tree, so only objects with more
    // references need a tag for back-references; the rest skip the map.
    const shared = o.getRetainCount() !== 1;
    if (shared) {
      const tag = this.tags.get(o);
      if (tag !== undefined) {
        if (this.open.has(o)) {
          throw new IOReturnError(kIOReturnBadArgument, `OSSerialization: a ${o.getClassName()} contains itself; the format cannot express a cycle`);
        }
        this.word(kOSSerializeObject | tag | end);
        return;
      }
    }
    if (o instanceof OSString) {
      if (o instanceof OSSymbol) {
        // Symbols are interned: one entry per string serves keys and symbol values alike.
        const e = keyEncoding(o.getCStringNoCopy());
        if (e.epoch === this.epoch) {
          this.word(kOSSerializeObject | e.index | end);
          return;
        }
        e.epoch = this.epoch;
        e.index = this.count++;
        ensure(this.pos, 4 + e.bytes.length);
        view.setUint32(this.pos, (e.word | end) >>> 0, true);
        buf.set(e.bytes, this.pos + 4);
        this.pos += 4 + e.bytes.length;
        return;
      }
      if (shared) this.tags.set(o, this.count);
      this.count++;
      this.text(kOSSerializeString, o.getCStringNoCopy(), end);
      return;
    }
    if (shared) this.tags.set(o, this.count);
    this.count++;
    if (o instanceof OSNumber) {
      ensure(this.pos, 12);
      view.setUint32(this.pos, (kOSSerializeNumber | o.numberOfBits() | end) >>> 0, true);
      view.setUint32(this.pos + 4, o.loWord(), true);
      view.setUint32(this.pos + 8, o.hiWord(), true);
      this.pos += 12;
      return;
    }
    if (o instanceof OSBoolean) {
      this.word(kOSSerializeBoolean | (o.isTrue() ? 1 : 0) | end);
      return;
    }
    if (o instanceof OSData) {
      const bytes = o.getBytesNoCopy();
      if (bytes.length > kOSSerializeDataMask) {
        throw new IOReturnError(kIOReturnBadArgument, `OSSerialization: OSData of ${bytes.length} bytes exceeds the format's 24-bit length`);
      }
      ensure(this.pos, 8 + bytes.length);
      view.setUint32(this.pos, (kOSSerializeData | bytes.length | end) >>> 0, true);
      buf.set(bytes, this.pos + 4);
      this.pos += 4 + pad(this.pos + 4, bytes.length);
      return;
    }
    if (o instanceof OSCollection) {
      this.collection(o, end, depth);
      return;
    }
    throw new IOReturnError(kIOReturnUnsupported, `OSSerialization cannot encode a ${o.getClassName()}: only OSData, OSString, OSSymbol, OSNumber, OSBoolean, OSArray, OSSet and OSDictionary serialize`);
  }

  collection(o: OSCollection, end: number, depth: number): void {
    if (depth >= kOSSerializeMaxDepth) {
      throw new IOReturnError(kIOReturnBadArgument, `OSSerialization: collections nest deeper than ${kOSSerializeMaxDepth} levels`);
    }
    const n = o.getCount();
    if (n > kOSSerializeDataMask) {
      throw new IOReturnError(kIOReturnBadArgument, `OSSerialization: a collection of ${n} members exceeds the format's 24-bit count`);
    }
    this.open.add(o);
    let i = 0;
    if (o instanceof OSDictionary) {
      this.word(kOSSerializeDictionary | n | end);
      o.forEachEntry((v, k) => {
        i++;
        this.key(k);
        this.child(v, i === n ? kOSSerializeEndCollection : 0, depth, k);
      });
    } else {
      this.word((o instanceof OSArray ? kOSSerializeArray : kOSSerializeSet) | n | end);
      for (const v of o as OSArray | OSSet) {
        i++;
        this.child(v, i === n ? kOSSerializeEndCollection : 0, depth, i - 1);
      }
    }
    this.open.delete(o);
  }

  child(v: OSObject, end: number, depth: number, where: string | number): void {
    try {
      this.object(v, end, depth + 1);
    } catch (e) {
      throw withPath(e, where);
    }
  }
}

/** Zeroes the 0–3 padding bytes after `n` payload bytes at `start`; returns the padded length. */
function pad(start: number, n: number): number {
  const padded = (n + 3) & ~3;
  for (let i = start + n; i < start + padded; i++) buf[i] = 0;
  return padded;
}

// Errors name where in the object they arose, built up as the exception unwinds, so the common path
// carries no path bookkeeping.
const pathOf = new WeakMap<IOReturnError, string>();

function withPath(e: unknown, where: string | number): unknown {
  if (!(e instanceof IOReturnError)) return e;
  const inner = pathOf.get(e) ?? '';
  const path = `${typeof where === 'number' ? `[${where}]` : `.${where}`}${inner}`;
  const reason = inner ? e.reason.slice(0, e.reason.lastIndexOf(' (at $')) : e.reason;
  const wrapped = new IOReturnError(e.code, `${reason} (at $${path})`);
  pathOf.set(wrapped, path);
  return wrapped;
}

/**
 * Encodes an object in XNU's OSSerializeBinary format: the signature word 0x000000d3, then one
 * 32-bit key word per object (type in the top byte, length or count in the low 24 bits, bit 31 on
 * each collection's last element), payloads padded to 4 bytes, and back-references for objects that
 * appear more than once. Plain values are converted first (see {@link OSValue}).
 *
 * Mirrors `OSSerialize::binarySerialize` (libkern). Throws an IOReturnError for objects the format
 * cannot hold (kIOReturnUnsupported) or that exceed its limits or contain a cycle
 * (kIOReturnBadArgument), naming where in the object the problem is.
 */
export function OSSerializeBinary(object: OSObject | OSValue): Uint8Array {
  const o = object instanceof OSObject ? object : toOSObject(object);
  const w = new Writer();
  view.setUint32(0, kOSSerializeBinarySignature, true);
  w.object(o, kOSSerializeEndCollection, 0);
  return new Uint8Array(buf.subarray(0, w.pos));
}
