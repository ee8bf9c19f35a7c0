import { OSArray } from './OSArray';
import { OSBoolean } from './OSBoolean';
import { OSData } from './OSData';
import { OSDictionary } from './OSDictionary';
import { OSNumber } from './OSNumber';
import { OSObject } from './OSObject';
import { OSSet } from './OSSet';
import { OSString } from './OSString';

/**
 * A plain JavaScript value that stands for an OS* object. Wherever the API expects an OSObject (a
 * property, a dictionary value, a personality) one of these may be given instead.
 *
 * | JavaScript                          | OS* object                                                      |
 * |-------------------------------------|-----------------------------------------------------------------|
 * | `string`                            | OSString                                                        |
 * | `boolean`                           | kOSBooleanTrue / kOSBooleanFalse                                |
 * | integer `number`                    | OSNumber: 32 bits if it fits (-2³¹ … 2³²-1), else 64 bits        |
 * | other finite `number`               | OSNumber double                                                 |
 * | `bigint`                            | OSNumber, 64 bits                                               |
 * | `Uint8Array`, `ArrayBuffer`, views  | OSData (a copy)                                                 |
 * | `Array`                             | OSArray                                                         |
 * | `Set`                               | OSSet                                                           |
 * | plain object, `Map` with string keys| OSDictionary (insertion order kept)                             |
 * | an OSObject                         | itself                                                          |
 *
 * Back from OS* objects ({@link fromOSObject}): OSString and OSSymbol give strings, OSNumber a number
 * when exact (else a bigint; negative only if it was made signed), OSData a `Uint8Array` copy,
 * OSArray an array, OSSet a `Set`, OSDictionary a plain object. `null`, `undefined`, functions and
 * symbols have no OS* form and are refused with a TypeError naming where they were found.
 */
export type OSValue =
  | string
  | boolean
  | number
  | bigint
  | Uint8Array
  | ArrayBuffer
  | ArrayBufferView
  | OSObject
  | OSValue[]
  | Set<OSValue>
  | Map<string, OSValue>
  | { readonly [key: string]: OSValue };

/** Converts a plain value to an OS* object (see {@link OSValue}); OSObjects are returned retained. */
export function toOSObject(value: OSValue | OSObject): OSObject {
  return convert(value, '$', new Set());
}

/** Like {@link toOSObject}, but the result must be a dictionary. */
export function toOSDictionary(value: OSDictionary | Record<string, OSValue> | Map<string, OSValue>): OSDictionary {
  const o = toOSObject(value);
  if (!(o instanceof OSDictionary)) {
    o.release();
    throw new TypeError(`expected a dictionary (an OSDictionary or a plain object), got ${o.getClassName()}`);
  }
  return o;
}

/** Converts an OS* object to plain JavaScript (see {@link OSValue}). Shared sub-objects stay shared. */
export function fromOSObject(object: OSObject): unknown {
  return back(object, new Map());
}

/** Converts a plain value, or retains an OSObject, for storing in a collection. @internal */
export function retained(value: OSObject | OSValue): OSObject {
  return value instanceof OSObject ? value.retain() : convert(value, '$', new Set());
}

function convert(value: unknown, path: string, open: Set<object>): OSObject {
  switch (typeof value) {
    case 'string':
      return OSString.withCString(value);
    case 'boolean':
      return OSBoolean.withBoolean(value);
    case 'bigint':
      return OSNumber.withNumber(value, 64);
    case 'number':
      if (Number.isInteger(value)) {
        if (value >= -0x8000_0000 && value <= 0xffff_ffff) return OSNumber.withNumber(value, 32);
        if (Number.isSafeInteger(value)) return OSNumber.withNumber(value, 64);
        throw new TypeError(`${path}: ${value} is beyond 2^53 and may already be rounded; pass a bigint`);
      }
      if (Number.isFinite(value)) return OSNumber.withDouble(value);
      throw new TypeError(`${path}: ${value} has no OSNumber form`);
    case 'object':
      break;
    default:
      throw new TypeError(`${path}: a ${typeof value} has no OS* form`);
  }
  if (value === null) throw new TypeError(`${path}: null has no OS* form`);
  if (value instanceof OSObject) return value.retain();
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return OSData.withBytes(value as ArrayBufferView);
  if (open.has(value)) throw new TypeError(`${path}: the value contains itself`);
  open.add(value);
  try {
    if (Array.isArray(value)) {
      const a = OSArray.withCapacity(value.length);
      value.forEach((v, i) => a.adoptObject(convert(v, `${path}[${i}]`, open)));
      return a;
    }
    if (value instanceof Set) {
      const s = OSSet.withCapacity(value.size);
      let i = 0;
      for (const v of value) s.adoptObject(convert(v, `${path}{${i++}}`, open));
      return s;
    }
    const d = OSDictionary.withCapacity();
    const entries = value instanceof Map ? value.entries() : Object.entries(value);
    for (const [k, v] of entries) {
      if (typeof k !== 'string') throw new TypeError(`${path}: dictionary keys must be strings, got ${typeof k}`);
      d.adoptObject(k, convert(v, `${path}.${k}`, open));
    }
    return d;
  } finally {
    open.delete(value);
  }
}

function back(o: OSObject, seen: Map<OSObject, unknown>): unknown {
  if (o instanceof OSString) return o.getCStringNoCopy();
  if (o instanceof OSNumber) return o.value();
  if (o instanceof OSBoolean) return o.getValue();
  if (o instanceof OSData) return o.getBytesNoCopy().slice();
  const done = seen.get(o);
  if (done !== undefined) return done;
  if (o instanceof OSArray) {
    const a: unknown[] = [];
    seen.set(o, a);
    for (const v of o) a.push(back(v, seen));
    return a;
  }
  if (o instanceof OSSet) {
    const s = new Set<unknown>();
    seen.set(o, s);
    for (const v of o) s.add(back(v, seen));
    return s;
  }
  if (o instanceof OSDictionary) {
    const d: Record<string, unknown> = {};
    seen.set(o, d);
    // defineProperty, not assignment: a key named "__proto__" stays an ordinary key.
    for (const [k, v] of o) Object.defineProperty(d, k, { value: back(v, seen), enumerable: true, writable: true, configurable: true });
    return d;
  }
  return o;
}
