import { IOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnBadArgument } from '../IOReturn/IOReturn';
import { OSArray } from '../os/OSArray';
import { OSDictionary } from '../os/OSDictionary';
import { OSNumber } from '../os/OSNumber';
import type { OSObject } from '../os/OSObject';
import { OSString } from '../os/OSString';

/**
 * The protocol between the host and a driver process (Apple's kernel ↔ IOUserServer traffic): every
 * message either side sends, as one schema. The message types, the encoder, the decoder and the
 * dispatcher all derive from it, so a message is defined once and read and written the same way on
 * both sides. Each frame is an OSSerializeBinary dictionary with `op` naming the message; requests
 * carry `rid`, which their `reply` echoes with a kIOReturn `status` and, on success, a `result`.
 *
 * Field kinds: `string`, `number` (up to 2^53), `u64` (bigint), `dictionary`, `strings` (an array of
 * strings), `u64s` (an array of numbers, as bigints); a trailing `?` makes a field optional. A peer is never trusted: a frame whose fields are missing or of the wrong
 * kind is refused by name before any handler sees it.
 * @internal
 */
const schema = {
  // Host → driver process.
  init: { name: 'string', bundleIdentifier: 'string', modulePath: 'string?', bundlePath: 'string?' },
  start: { rid: 'number', properties: 'dictionary', provider: 'dictionary' },
  terminate: { rid: 'number', service: 'string' },
  openUserClient: { rid: 'number', service: 'string', type: 'number', entitlements: 'dictionary' },
  /** `call`: the user-client call's fields (IOUserClientCall's encodeCall). */
  call: { rid: 'number', userClient: 'string', call: 'dictionary' },
  copyMemory: { rid: 'number', userClient: 'string', memoryType: 'u64' },
  closeUserClient: { rid: 'number', userClient: 'string' },
  power: { rid: 'number', service: 'string', flags: 'number' },
  clientPower: { service: 'string' },
  providerProperties: { provider: 'u64', properties: 'dictionary' },
  stateChanged: { watch: 'number', name: 'string' },
  exit: {},
  // Driver process → host.
  providerCall: { rid: 'number', provider: 'u64', method: 'string', args: 'dictionary' },
  serviceCall: { rid: 'number', service: 'string', ioClass: 'string', userClass: 'string', method: 'string', args: 'dictionary' },
  providerChain: { rid: 'number', provider: 'u64', keys: 'strings?' },
  stateItem: { rid: 'number', action: 'string', name: 'string?', value: 'dictionary?', watch: 'number?', names: 'strings?' },
  clientPowerState: { rid: 'number', service: 'string' },
  /** An async user-client completion: `call` is the rid of the call it completes. */
  completion: { userClient: 'string', call: 'number', status: 'number', data: 'u64s' },
  /** Calls a user client served on apps' own channels since the last report (the host counts them). */
  userClientCalls: { userClient: 'string', count: 'number' },
  properties: { service: 'string', properties: 'dictionary' },
  registered: { service: 'string' },
  terminated: { service: 'string' },
  // Both ways: the answer to a request.
  reply: { rid: 'number', status: 'number', message: 'string?', result: 'dictionary?' },
} as const satisfies Record<string, Record<string, FieldKind>>;

type BaseKind = 'string' | 'number' | 'u64' | 'dictionary' | 'strings' | 'u64s';
type FieldKind = BaseKind | `${BaseKind}?`;
type Value<K> = K extends 'string' ? string : K extends 'number' ? number : K extends 'u64' ? bigint : K extends 'dictionary' ? OSDictionary : K extends 'strings' ? readonly string[] : K extends 'u64s' ? readonly bigint[] : never;
type Strip<K> = K extends `${infer B}?` ? B : K;
type Fields<S> = { -readonly [F in keyof S as S[F] extends `${string}?` ? never : F]: Value<S[F]> } & { -readonly [F in keyof S as S[F] extends `${string}?` ? F : never]?: Value<Strip<S[F]>> };
type Schema = typeof schema;

/** Every message's name. */
export type IOUserServerOp = keyof Schema;
/** One message, typed by its `op`. */
export type IOUserServerMessage<Op extends IOUserServerOp = IOUserServerOp> = Op extends IOUserServerOp ? { op: Op } & Fields<Schema[Op]> : never;

/** What the host sends a driver process, and what a driver process sends the host. */
export const kHostToDriverOps = ['init', 'start', 'terminate', 'openUserClient', 'call', 'copyMemory', 'closeUserClient', 'power', 'clientPower', 'providerProperties', 'stateChanged', 'exit', 'reply'] as const;
export const kDriverToHostOps = ['providerCall', 'serviceCall', 'providerChain', 'stateItem', 'clientPowerState', 'completion', 'userClientCalls', 'properties', 'registered', 'terminated', 'reply'] as const;
export type IOHostToDriverMessage = IOUserServerMessage<(typeof kHostToDriverOps)[number]>;
export type IODriverToHostMessage = IOUserServerMessage<(typeof kDriverToHostOps)[number]>;

/** One handler per message a side receives, replies aside (they settle the request they answer): the dispatcher table. */
export type IOUserServerHandlers<M extends IOUserServerMessage> = { [Op in Exclude<M['op'], 'reply'>]: (message: Extract<M, { op: Op }>) => void };

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

// Each message's fields, parsed once: encoding and decoding run for every frame.
const fieldsOf = Object.fromEntries(
  Object.entries(schema).map(([op, fields]) => [op, Object.entries(fields as Record<string, FieldKind>).map(([key, kind]) => ({ key, kind: kind.replace('?', '') as BaseKind, optional: kind.endsWith('?') }))]),
) as Record<IOUserServerOp, { key: string; kind: BaseKind; optional: boolean }[]>;
const kindNames: Record<BaseKind, string> = { string: 'a string', number: 'a number', u64: 'a number', dictionary: 'a dictionary', strings: 'an array of strings', u64s: 'an array of numbers' };

/** Writes a message as the dictionary a frame carries; the caller sends and releases it. */
export function encodeUserServerMessage(message: IOUserServerMessage): OSDictionary {
  const fields = fieldsOf[message.op];
  const d = OSDictionary.withCapacity(fields.length + 1);
  d.setObject('op', message.op);
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
export function decodeUserServerMessage<const Ops extends readonly IOUserServerOp[]>(frame: OSDictionary, ops: Ops): IOUserServerMessage<Ops[number]> {
  const op = frame.getObject('op');
  const name = op instanceof OSString ? op.getCStringNoCopy() : null;
  if (name === null || !(ops as readonly string[]).includes(name)) {
    throw new IOReturnError(kIOReturnBadArgument, name === null ? 'a message without an op' : `a message of op ${name}, which this side does not take`);
  }
  const out: Record<string, unknown> = { op: name };
  for (const { key, kind, optional } of fieldsOf[name as IOUserServerOp]) {
    const raw = frame.getObject(key);
    if (raw === null) {
      if (optional) continue;
      throw new IOReturnError(kIOReturnBadArgument, `${name}: no ${key}`);
    }
    const v = take(raw, kind);
    if (v === undefined) throw new IOReturnError(kIOReturnBadArgument, `${name}: ${key} is not ${kindNames[kind]}`);
    out[key] = v;
  }
  return out as IOUserServerMessage<Ops[number]>;
}

/** Runs the handler of `message.op` (a reply is the caller's to settle first). */
export function dispatchUserServerMessage<M extends IOUserServerMessage>(handlers: IOUserServerHandlers<M>, message: Exclude<M, { op: 'reply' }>): void {
  (handlers[message.op as Exclude<M['op'], 'reply'>] as unknown as (m: typeof message) => void)(message);
}
