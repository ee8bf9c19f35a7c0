import type { OSDictionary } from '../os/OSDictionary';
import { IOMessageSchema, type IOMessageOf, type IOMessageSchemaFields } from './IOMessageSchema';

/**
 * The protocol between the host and a driver process (Apple's kernel ↔ IOUserServer traffic): every
 * message either side sends, as one schema. The message types, the encoder, the decoder and the
 * dispatcher all derive from it, so a message is defined once and read and written the same way on
 * both sides. Each frame is an OSSerializeBinary dictionary with `op` naming the message; requests
 * carry `rid`, which their `reply` echoes with a kIOReturn `status` and, on success, a `result`.
 * The field kinds are {@link IOMessageSchema}'s; a frame whose fields are missing or of the wrong kind
 * is refused by name before any handler sees it.
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
} as const satisfies IOMessageSchemaFields;

type Schema = typeof schema;

/** Every message's name. */
export type IOUserServerOp = keyof Schema;
/** One message, typed by its `op`. */
export type IOUserServerMessage<Op extends IOUserServerOp = IOUserServerOp> = IOMessageOf<Schema, Op>;

/** What the host sends a driver process, and what a driver process sends the host. */
export const kHostToDriverOps = ['init', 'start', 'terminate', 'openUserClient', 'call', 'copyMemory', 'closeUserClient', 'power', 'clientPower', 'providerProperties', 'stateChanged', 'exit', 'reply'] as const;
export const kDriverToHostOps = ['providerCall', 'serviceCall', 'providerChain', 'stateItem', 'clientPowerState', 'completion', 'userClientCalls', 'properties', 'registered', 'terminated', 'reply'] as const;
export type IOHostToDriverMessage = IOUserServerMessage<(typeof kHostToDriverOps)[number]>;
export type IODriverToHostMessage = IOUserServerMessage<(typeof kDriverToHostOps)[number]>;

/** One handler per message a side receives, replies aside (they settle the request they answer): the dispatcher table. */
export type IOUserServerHandlers<M extends IOUserServerMessage> = { [Op in Exclude<M['op'], 'reply'>]: (message: Extract<M, { op: Op }>) => void };

const protocol = new IOMessageSchema(schema);

/** Writes a message as the dictionary a frame carries; the caller sends and releases it. */
export function encodeUserServerMessage(message: IOUserServerMessage): OSDictionary {
  return protocol.encode(message);
}

/** Reads a frame as one of the messages `ops` lists (see {@link IOMessageSchema.decode}). */
export function decodeUserServerMessage<const Ops extends readonly IOUserServerOp[]>(frame: OSDictionary, ops: Ops): IOUserServerMessage<Ops[number]> {
  return protocol.decode(frame, ops);
}

/** Runs the handler of `message.op` (a reply is the caller's to settle first). */
export function dispatchUserServerMessage<M extends IOUserServerMessage>(handlers: IOUserServerHandlers<M>, message: Exclude<M, { op: 'reply' }>): void {
  (handlers[message.op as Exclude<M['op'], 'reply'>] as unknown as (m: typeof message) => void)(message);
}
