import { IOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnBadArgument } from '../IOReturn/IOReturn';
import { OSArray } from '../os/OSArray';
import { OSDictionary } from '../os/OSDictionary';
import { OSNumber } from '../os/OSNumber';
import type { OSObject } from '../os/OSObject';
import { OSString } from '../os/OSString';

/**
 * Field kinds of a message schema: `string`, `number` (up to 2^53), `u64` (bigint), `dictionary`,
 * `strings` (an array of strings), `u64s` (an array of numbers, as bigints); a trailing `?` makes a
 * field optional.
 */
export type IOFieldBaseKind = 'string' | 'number' | 'u64' | 'dictionary' | 'strings' | 'u64s';
export type IOFieldKind = IOFieldBaseKind | `${IOFieldBaseKind}?`;
type BaseKind = IOFieldBaseKind;
type Value<K> = K extends 'string' ? string : K extends 'number' ? number : K extends 'u64' ? bigint : K extends 'dictionary' ? OSDictionary : K extends 'strings' ? readonly string[] : K extends 'u64s' ? readonly bigint[] : never;
type Strip<K> = K extends `${infer B}?` ? B : K;
type Fields<S> = { -readonly [F in keyof S as S[F] extends `${string}?` ? never : F]: Value<S[F]> } & { -readonly [F in keyof S as S[F] extends `${string}?` ? F : never]?: Value<Strip<S[F]>> };
/** A protocol's messages: each op's fields by name and kind. */
export type IOMessageSchemaFields = Record<string, Record<string, IOFieldKind>>;
/** One message of schema `S`, typed by its `op`. */
export type IOMessageOf<S extends IOMessageSchemaFields, Op extends keyof S = keyof S> = Op extends keyof S ? { op: Op } & Fields<S[Op]> : never;

function put(d: OSDictionary, key: string, kind: BaseKind, v: unknown): void {
  switch (kind) {
    case 'string':
      d.setObject(key, OSString.withCString(v as string));
      return;
    case 'number':
      d.setObject(key, OSNumber.withNumber(v as number, 64));
      return;
    case 'u64':
      d.setObject(key, OSNumber.withNumber(BigInt.asUintN(64, v as bigint), 64));
      return;
    case 'strings':
      d.setObject(key, OSArray.withObjects((v as string[]).map((s) => OSString.withCString(s))));
      return;
    case 'u64s':
      d.setObject(key, OSArray.withObjects((v as bigint[]).map((n) => OSNumber.withNumber(BigInt.asUintN(64, n), 64))));
      return;
    case 'dictionary':
      d.setObject(key, v as OSObject);
  }
}

function take(o: OSObject | null, kind: BaseKind): unknown {
  switch (kind) {
    case 'string':
      return o instanceof OSString ? o.getCStringNoCopy() : undefined;
    case 'number': {
      if (!(o instanceof OSNumber)) return undefined;
      const n = o.unsigned64BitValue();
      return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : undefined;
    }
    case 'u64':
      return o instanceof OSNumber ? o.unsigned64BitValue() : undefined;
    case 'dictionary':
      return o instanceof OSDictionary ? o : undefined;
    case 'strings':
      return arrayOf(o, 'string');
    case 'u64s':
      return arrayOf(o, 'u64');
  }
}

/** An array whose every member reads as `kind`, or undefined. */
function arrayOf(o: OSObject | null, kind: 'string' | 'u64'): unknown[] | undefined {
  if (!(o instanceof OSArray)) return undefined;
  const out: unknown[] = [];
  for (const member of o) {
    const v = take(member, kind);
    if (v === undefined) return undefined;
    out.push(v);
  }
  return out;
}

const kindNames: Record<BaseKind, string> = { string: 'a string', number: 'a number', u64: 'a number', dictionary: 'a dictionary', strings: 'an array of strings', u64s: 'an array of numbers' };

/**
 * One protocol's messages as a schema: the message types, the encoder and the decoder all derive from
 * it, so a message is defined once and read and written the same way on both sides. A peer is never
 * trusted: a frame whose fields are missing or of the wrong kind is refused by name before any handler
 * sees it.
 * @internal
 */
export class IOMessageSchema<S extends IOMessageSchemaFields> {
  // Each message's fields, parsed once: encoding and decoding run for every frame.
  readonly #fields: Record<string, { key: string; kind: BaseKind; optional: boolean }[]>;

  constructor(readonly schema: S) {
    this.#fields = Object.fromEntries(Object.entries(schema).map(([op, fields]) => [op, Object.entries(fields).map(([key, kind]) => ({ key, kind: kind.replace('?', '') as BaseKind, optional: kind.endsWith('?') }))]));
  }

  /** Whether `op` names one of the schema's messages. */
  has(op: string): op is keyof S & string {
    return Object.hasOwn(this.#fields, op);
  }

  /** Writes a message as the dictionary a frame carries; the caller sends and releases it. */
  encode(message: IOMessageOf<S>): OSDictionary {
    const op = (message as { op: string }).op;
    const fields = this.#fields[op]!;
    const d = OSDictionary.withCapacity(fields.length + 1);
    d.setObject('op', op);
    const values = message as unknown as Record<string, unknown>;
    for (const { key, kind } of fields) {
      const v = values[key];
      if (v !== undefined) put(d, key, kind, v);
    }
    return d;
  }

  /**
   * Reads a frame as one of the messages `ops` lists (what the reading side may receive). A frame
   * that names another op, lacks a required field or holds one of the wrong kind is refused with
   * kIOReturnBadArgument naming the op and the field.
   */
  decode<const Ops extends readonly (keyof S & string)[]>(frame: OSDictionary, ops: Ops): IOMessageOf<S, Ops[number]> {
    const op = frame.getObject('op');
    const name = op instanceof OSString ? op.getCStringNoCopy() : null;
    if (name === null || !(ops as readonly string[]).includes(name)) {
      throw new IOReturnError(kIOReturnBadArgument, name === null ? 'a message without an op' : `a message of op ${name}, which this side does not take`);
    }
    return this.fields(frame, name as Ops[number]) as IOMessageOf<S, Ops[number]>;
  }

  /** Reads `frame`'s fields as message `op`'s, whatever its own `op` says (the caller chose the op). */
  fields<Op extends keyof S & string>(frame: OSDictionary, op: Op): IOMessageOf<S, Op> {
    const out: Record<string, unknown> = { op };
    for (const { key, kind, optional } of this.#fields[op]!) {
      const raw = frame.getObject(key);
      if (raw === null) {
        if (optional) continue;
        throw new IOReturnError(kIOReturnBadArgument, `${op}: no ${key}`);
      }
      const v = take(raw, kind);
      if (v === undefined) throw new IOReturnError(kIOReturnBadArgument, `${op}: ${key} is not ${kindNames[kind]}`);
      out[key] = v;
    }
    return out as IOMessageOf<S, Op>;
  }
}
