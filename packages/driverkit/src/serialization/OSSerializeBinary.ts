import { IOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnBadArgument, kIOReturnUnsupported } from '../IOReturn/IOReturn';
import { OSArray } from '../os/OSArray';
import { OSBoolean } from '../os/OSBoolean';
import { OSCollection } from '../os/OSCollection';
import { OSData } from '../os/OSData';
import { OSDictionary } from '../os/OSDictionary';
import { OSNumber } from '../os/OSNumber';
import { OSObject } from '../os/OSObject';
import { OSSet } from '../os/OSSet';
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

class Writer {
  pos = 4;
  // Every object written, for back-references by identity, as XNU tags them. Keys are symbols,
  // interned by string, so they are tagged by their string.
  readonly tags = new Map<OSObject, number>();
  readonly keyTags = new Map<string, number>();
  readonly open = new Set<OSObject>();
  count = 0;

  ensure(extra: number): void {
    const need = this.pos + extra;
    if (need <= buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(need, buf.length * 2));
    buf.copy(grown, 0, 0, this.pos);
    buf = grown;
    view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  word(w: number): void {
    this.ensure(4);
    view.setUint32(this.pos, w >>> 0, true);
    this.pos += 4;
  }

  /** Writes `key | length` and the UTF-8 bytes of `s` (plus a NUL for symbols), padded to 4. */
  text(type: number, s: string, nul: boolean, end: number): void {
    this.ensure(s.length * 3 + 12);
    const start = this.pos + 4;
    let n = 0;
    // Short ASCII strings (nearly every key) are copied by hand: cheaper than an encoder call.
    if (s.length <= 32) {
      for (; n < s.length; n++) {
        const c = s.charCodeAt(n);
        if (c >= 0x80) break;
        buf[start + n] = c;
      }
    }
    if (n < s.length) n = buf.write(s, start, 'utf8');
    if (nul) buf[start + n++] = 0;
    if (n > kOSSerializeDataMask) {
      throw new IOReturnError(kIOReturnBadArgument, `OSSerialization: a string of ${n} bytes exceeds the format's 24-bit length`);
    }
    view.setUint32(this.pos, (type | n | end) >>> 0, true);
    const padded = (n + 3) & ~3;
    buf.fill(0, start + n, start + padded);
    this.pos = start + padded;
  }

  key(k: string): void {
    const tag = this.keyTags.get(k);
    if (tag !== undefined) {
      this.word(kOSSerializeObject | tag);
      return;
    }
    this.keyTags.set(k, this.count++);
    this.text(kOSSerializeSymbol, k, true, 0);
  }

  object(o: OSObject, end: number, depth: number): void {
    const tag = this.tags.get(o);
    if (tag !== undefined) {
      if (this.open.has(o)) {
        throw new IOReturnError(kIOReturnBadArgument, `OSSerialization: a ${o.getClassName()} contains itself; the format cannot express a cycle`);
      }
      this.word(kOSSerializeObject | tag | end);
      return;
    }
    if (o instanceof OSString) {
      const s = o.getCStringNoCopy();
      if (o instanceof OSSymbol) {
        // Symbols are interned, so one tag per string serves keys and symbol values alike.
        const keyTag = this.keyTags.get(s);
        if (keyTag !== undefined) {
          this.word(kOSSerializeObject | keyTag | end);
          return;
        }
        this.keyTags.set(s, this.count++);
      } else {
        this.tags.set(o, this.count++);
      }
      this.text(o instanceof OSSymbol ? kOSSerializeSymbol : kOSSerializeString, s, o instanceof OSSymbol, end);
      return;
    }
    this.tags.set(o, this.count++);
    if (o instanceof OSNumber) {
      const [lo, hi] = o.words();
      this.ensure(12);
      view.setUint32(this.pos, (kOSSerializeNumber | o.numberOfBits() | end) >>> 0, true);
      view.setUint32(this.pos + 4, lo, true);
      view.setUint32(this.pos + 8, hi, true);
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
      const padded = (bytes.length + 3) & ~3;
      this.ensure(4 + padded);
      view.setUint32(this.pos, (kOSSerializeData | bytes.length | end) >>> 0, true);
      buf.set(bytes, this.pos + 4);
      buf.fill(0, this.pos + 4 + bytes.length, this.pos + 4 + padded);
      this.pos += 4 + padded;
      return;
    }
    if (o instanceof OSCollection) {
      if (depth >= kOSSerializeMaxDepth) {
        throw new IOReturnError(kIOReturnBadArgument, `OSSerialization: collections nest deeper than ${kOSSerializeMaxDepth} levels`);
      }
      const n = o.getCount();
      if (n > kOSSerializeDataMask) {
        throw new IOReturnError(kIOReturnBadArgument, `OSSerialization: a collection of ${n} members exceeds the format's 24-bit count`);
      }
      this.open.add(o);
      if (o instanceof OSDictionary) {
        this.word(kOSSerializeDictionary | n | end);
        let i = 0;
        for (const [k, v] of o) {
          i++;
          this.key(k);
          this.child(v, i === n ? kOSSerializeEndCollection : 0, depth, k);
        }
      } else {
        this.word((o instanceof OSArray ? kOSSerializeArray : kOSSerializeSet) | n | end);
        let i = 0;
        for (const v of o as OSArray | OSSet) {
          i++;
          this.child(v, i === n ? kOSSerializeEndCollection : 0, depth, i - 1);
        }
      }
      this.open.delete(o);
      return;
    }
    throw new IOReturnError(kIOReturnUnsupported, `OSSerialization cannot encode a ${o.getClassName()}: only OSData, OSString, OSSymbol, OSNumber, OSBoolean, OSArray, OSSet and OSDictionary serialize`);
  }

  child(v: OSObject, end: number, depth: number, where: string | number): void {
    try {
      this.object(v, end, depth + 1);
    } catch (e) {
      throw withPath(e, where);
    }
  }
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
