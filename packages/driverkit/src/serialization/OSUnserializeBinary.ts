import { IOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnBadArgument, kIOReturnUnsupported } from '../IOReturn/IOReturn';
import { OSArray } from '../os/OSArray';
import { OSBoolean } from '../os/OSBoolean';
import { OSData } from '../os/OSData';
import { OSDictionary } from '../os/OSDictionary';
import { kOSNumberDoubleBits, kOSNumberFloatBits, OSNumber } from '../os/OSNumber';
import type { OSObject } from '../os/OSObject';
import { OSSet } from '../os/OSSet';
import { OSString } from '../os/OSString';
import { OSSymbol } from '../os/OSSymbol';
import {
  kOSSerializeArray,
  kOSSerializeBinarySignature,
  kOSSerializeBoolean,
  kOSSerializeData,
  kOSSerializeDataMask,
  kOSSerializeDictionary,
  kOSSerializeEndCollection,
  kOSSerializeIndexedBinarySignature,
  kOSSerializeMaxDepth,
  kOSSerializeMaxObjects,
  kOSSerializeNumber,
  kOSSerializeObject,
  kOSSerializeSet,
  kOSSerializeString,
  kOSSerializeSymbol,
  kOSSerializeTypeMask,
} from './OSSerializeBinaryFormat';

/** Limits for {@link OSUnserializeBinary}; the defaults are XNU's. */
export interface OSUnserializeBinaryOptions {
  /** Deepest collection nesting accepted (default 64). */
  maxDepth?: number;
  /** Most objects accepted in one stream (default 16M). */
  maxObjects?: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

interface Frame {
  readonly collection: OSDictionary | OSArray | OSSet;
  readonly kind: 'dictionary' | 'array' | 'set';
  readonly declared: number;
  readonly offset: number;
  readonly index: number;
  /** The collection's own key word carried the end bit: closing it also closes its parent. */
  readonly endsParent: boolean;
  count: number;
  key: string | null;
}

function fail(offset: number, message: string, code = kIOReturnBadArgument): never {
  throw new IOReturnError(code, `OSUnserializeBinary: ${message} at byte offset ${offset}`, { offset });
}

function short(at: number, size: number, remaining: number, what: string): never {
  return fail(at, `${what} declares ${size} bytes but only ${remaining} remain`);
}

// Recently decoded symbols by their bytes. Messages repeat the same keys, so most keys are found here
// without building a string or consulting the intern table. The table has a fixed number of slots,
// so hostile input can only evict entries, never grow it.
const SYMBOL_SLOTS = 1024;
const symbolWords: Array<Uint32Array | undefined> = new Array(SYMBOL_SLOTS);
const symbolObjects: Array<OSSymbol | undefined> = new Array(SYMBOL_SLOTS);
const symbolLengths = new Int32Array(SYMBOL_SLOTS);

/**
 * The symbol whose NUL-terminated payload of `n` bytes starts at `start`. Payloads are padded to whole
 * words, so the cache hashes and compares words; the padding takes part, which can only cause a miss.
 */
function symbol(bytes: Uint8Array, view: DataView, start: number, n: number, at: number): OSSymbol {
  const words = (n + 3) >> 2;
  if (words > 16) return internSymbol(bytes, start, n - 1, at);
  let h = 0x811c9dc5 ^ n;
  for (let i = 0; i < words; i++) h = Math.imul(h ^ view.getUint32(start + 4 * i, true), 0x01000193);
  h ^= h >>> 15;
  const slot = h & (SYMBOL_SLOTS - 1);
  const cached = symbolWords[slot];
  if (cached !== undefined && symbolLengths[slot] === n) {
    let i = 0;
    while (i < words && cached[i] === view.getUint32(start + 4 * i, true)) i++;
    if (i === words) return symbolObjects[slot]!;
  }
  const sym = internSymbol(bytes, start, n - 1, at);
  const copy = new Uint32Array(words);
  for (let i = 0; i < words; i++) copy[i] = view.getUint32(start + 4 * i, true);
  symbolWords[slot] = copy;
  symbolObjects[slot] = sym;
  symbolLengths[slot] = n;
  return sym;
}

function internSymbol(bytes: Uint8Array, start: number, length: number, at: number): OSSymbol {
  const s = text(bytes, start, length, at, 'a symbol');
  if (s.includes('\0')) fail(at, 'a symbol contains a NUL before its end');
  return OSSymbol.withCString(s);
}

// Reused argument lists for String.fromCharCode, one per length: building a short ASCII string in one
// call avoids the chain of partial strings that appending byte by byte leaves behind.
const charArgs: number[][] = Array.from({ length: 65 }, (_, n) => new Array<number>(n).fill(0));

function text(bytes: Uint8Array, start: number, length: number, offset: number, what: string): string {
  if (length <= 64) {
    const args = charArgs[length]!;
    let i = 0;
    for (; i < length; i++) {
      const c = bytes[start + i]!;
      if (c >= 0x80) break;
      args[i] = c;
    }
    if (i === length) return String.fromCharCode.apply(null, args);
  }
  try {
    return utf8.decode(bytes.subarray(start, start + length));
  } catch {
    return fail(offset, `${what} is not valid UTF-8`);
  }
}

/**
 * Decodes XNU's OSSerializeBinary format (see {@link OSSerializeBinary}) into OS* objects.
 *
 * Mirrors `OSUnserializeBinary` (libkern), and is stricter than it: the input is treated as hostile.
 * Truncation, lengths or counts past the end of the input, counts that disagree with the elements
 * present, a dictionary key given twice, back-references to objects not yet seen or to an enclosing
 * collection (a cycle), nesting past `maxDepth`, invalid UTF-8, number widths other than 8/16/32/64
 * (31/63 for float/double), and trailing bytes each throw an IOReturnError `kIOReturnBadArgument`
 * naming the byte offset; an unknown type or the indexed (0xd4) variant throws
 * `kIOReturnUnsupported`. Work and memory are linear in the input's size: nothing is allocated from a
 * declared count.
 */
export function OSUnserializeBinary(input: Uint8Array, options: OSUnserializeBinaryOptions = {}): OSObject {
  const maxDepth = options.maxDepth ?? kOSSerializeMaxDepth;
  const maxObjects = options.maxObjects ?? kOSSerializeMaxObjects;
  const bytes = input;
  const length = bytes.byteLength;
  const view = new DataView(bytes.buffer, bytes.byteOffset, length);

  if (length < 4) fail(0, `${length} bytes is too short for the signature word`);
  if (length % 4 !== 0) fail(length - (length % 4), `the length ${length} is not a multiple of 4`);
  const signature = view.getUint32(0, true);
  if (signature !== kOSSerializeBinarySignature) {
    if ((signature & 0xff) === kOSSerializeIndexedBinarySignature) {
      fail(0, 'the indexed variant (signature 0xd4) is not supported', kIOReturnUnsupported);
    }
    fail(0, `signature 0x${signature.toString(16).padStart(8, '0')} is not 0x000000d3`);
  }

  const objects: OSObject[] = [];
  const stack: Frame[] = [];
  const openIndices = new Set<number>();
  let result: OSObject | undefined;
  let pos = 4;

  for (;;) {
    if (pos >= length) {
      if (result === undefined) fail(pos, 'the stream ends before its first object');
      const frame = stack[stack.length - 1];
      if (frame) fail(pos, `the stream ends inside the ${frame.kind} opened at byte offset ${frame.offset}`);
      return result;
    }
    const at = pos;
    const key = view.getUint32(pos, true);
    pos += 4;
    const type = key & kOSSerializeTypeMask;
    const n = key & kOSSerializeDataMask;
    const end = (key & kOSSerializeEndCollection) !== 0;
    const frame = stack[stack.length - 1];
    if (!frame && result !== undefined) fail(at, 'a second top-level object follows the first');

    let o: OSObject;
    let opens: Frame['kind'] | null = null;
    let isRef = false;

    switch (type) {
      case kOSSerializeDictionary:
      case kOSSerializeArray:
      case kOSSerializeSet: {
        const kind = type === kOSSerializeDictionary ? 'dictionary' : type === kOSSerializeArray ? 'array' : 'set';
        // Every member takes at least one word (a dictionary entry two), so a larger count is a lie.
        const minBytes = n * (kind === 'dictionary' ? 8 : 4);
        if (minBytes > length - pos) fail(at, `a ${kind} declares ${n} ${kind === 'dictionary' ? 'entries' : 'members'} but only ${length - pos} bytes remain`);
        o = kind === 'dictionary' ? OSDictionary.withCapacity() : kind === 'array' ? OSArray.withCapacity() : OSSet.withCapacity();
        if (n !== 0) opens = kind;
        break;
      }
      case kOSSerializeObject: {
        if (n >= objects.length) fail(at, `a back-reference to object ${n} precedes that object (only ${objects.length} so far)`);
        if (openIndices.has(n)) fail(at, `a back-reference to object ${n}, an enclosing collection, would make a cycle`);
        o = objects[n]!.retain();
        isRef = true;
        break;
      }
      case kOSSerializeNumber: {
        if (8 > length - pos) short(at, 8, length - pos, 'a number');
        if (n !== 8 && n !== 16 && n !== 32 && n !== 64 && n !== kOSNumberFloatBits && n !== kOSNumberDoubleBits) {
          fail(at, `a number of ${n} bits (only 8, 16, 32, 64, or 31/63 for float/double)`);
        }
        o = OSNumber.fromWords(view.getUint32(pos, true), view.getUint32(pos + 4, true), n);
        pos += 8;
        break;
      }
      case kOSSerializeSymbol: {
        const padded = (n + 3) & ~3;
        if (padded > length - pos) short(at, padded, length - pos, 'a symbol');
        if (n < 1) fail(at, 'a symbol of length 0 (it must at least hold its NUL)');
        if (bytes[pos + n - 1] !== 0) fail(at, 'a symbol is not NUL-terminated');
        o = symbol(bytes, view, pos, n, at);
        pos += padded;
        break;
      }
      case kOSSerializeString: {
        const padded = (n + 3) & ~3;
        if (padded > length - pos) short(at, padded, length - pos, 'a string');
        o = OSString.withCString(text(bytes, pos, n, at, 'a string'));
        pos += padded;
        break;
      }
      case kOSSerializeData: {
        const padded = (n + 3) & ~3;
        if (padded > length - pos) short(at, padded, length - pos, 'data');
        o = OSData.withBytes(bytes.subarray(pos, pos + n));
        pos += padded;
        break;
      }
      case kOSSerializeBoolean:
        if (n > 1) fail(at, `a boolean with value ${n} (only 0 or 1)`);
        o = OSBoolean.withBoolean(n === 1);
        break;
      default:
        return fail(at, `unknown object type 0x${(type >>> 24).toString(16).padStart(2, '0')}`, kIOReturnUnsupported);
    }

    const index = objects.length;
    if (!isRef) {
      if (index >= maxObjects) fail(at, `more than ${maxObjects} objects`);
      objects.push(o);
    }

    if (!frame) {
      result = o;
    } else if (frame.kind === 'dictionary') {
      const dict = frame.collection as OSDictionary;
      if (frame.key === null) {
        if (!(o instanceof OSString)) fail(at, `a dictionary key is a ${o.getClassName()}, not a symbol or string`);
        if (end) fail(at, 'a dictionary ends after a key that has no value');
        frame.key = o.getCStringNoCopy();
        continue;
      }
      if (frame.count === frame.declared) fail(at, `the dictionary at byte offset ${frame.offset} holds more than the ${frame.declared} entries it declares`);
      if (!dict.appendDecoded(frame.key, o)) fail(at, `the dictionary at byte offset ${frame.offset} repeats the key ${JSON.stringify(frame.key)}`);
      frame.key = null;
      frame.count++;
    } else {
      if (frame.count === frame.declared) fail(at, `the ${frame.kind} at byte offset ${frame.offset} holds more than the ${frame.declared} members it declares`);
      if (frame.kind === 'array') (frame.collection as OSArray).adoptObject(o);
      else (frame.collection as OSSet).adoptObject(o);
      frame.count++;
    }

    if (opens) {
      if (!frame && !end) fail(at, 'the top-level object lacks the end-of-collection bit');
      if (stack.length >= maxDepth) fail(at, `collections nest deeper than ${maxDepth} levels`);
      stack.push({
        collection: o as Frame['collection'],
        kind: opens,
        declared: n,
        offset: at,
        index,
        endsParent: end,
        count: 0,
        key: null,
      });
      openIndices.add(index);
      continue;
    }

    if (!end) {
      if (!frame) fail(at, 'the top-level object lacks the end-of-collection bit');
      continue;
    }
    // Close the current collection, and its parents for as long as each was its parent's last member.
    for (;;) {
      const closing = stack.pop();
      if (!closing) break;
      if (closing.count !== closing.declared) {
        fail(closing.offset, `the ${closing.kind} declares ${closing.declared} ${closing.kind === 'dictionary' ? 'entries' : 'members'} but holds ${closing.count}`);
      }
      openIndices.delete(closing.index);
      if (!closing.endsParent) break;
    }
  }
}
