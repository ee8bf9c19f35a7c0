import { IOMessageSchema, type IOMessageOf, type IOMessageSchemaFields } from './IOMessageSchema';

/**
 * The requests apps and tools send the host over its socket (IOKit.framework's calls into the kernel:
 * finding services, reading properties, IOServiceOpen and its calls, notifications), as one schema
 * with the driver protocol's field kinds. Each request carries `rid`, which the host's reply echoes
 * with a kIOReturn `status` and the request's own reply fields. The host reads every request through
 * it, so a field missing or of the wrong kind is refused by name before any handler runs. A `call`'s
 * own fields (selector, scalars, structures) are read by `decodeCall`, with Apple's limits.
 * @internal
 */
const schema = {
  registry: {},
  explain: { entry: 'string' },
  activity: {},
  list: {},
  getMatchingServices: { matching: 'dictionary' },
  getProperties: { service: 'u64' },
  open: { service: 'u64', type: 'number?' },
  close: { connection: 'number' },
  attach: { connection: 'number', token: 'string' },
  call: { connection: 'number', asyncCall: 'number?' },
  map: { connection: 'number', memoryType: 'u64?' },
  subscribe: { subscription: 'number', kind: 'string', matching: 'dictionary' },
  unsubscribe: { subscription: 'number' },
} as const satisfies IOMessageSchemaFields;

type Schema = typeof schema;

/** Every request's name. */
export type IOHostRequestOp = keyof Schema;
/** One request, typed by its `op`. */
export type IOHostRequest<Op extends IOHostRequestOp = IOHostRequestOp> = IOMessageOf<Schema, Op>;

/** The host socket's requests as a schema (see {@link IOMessageSchema}). */
export const kIOHostClientProtocol = new IOMessageSchema(schema);

/**
 * What reaches an app unasked: a matching notification's service, and an async user-client call's
 * completion — from the host (`connection` names the user client) or from the driver on the user client's
 * own channel (no `connection`: the channel is that user client's).
 */
const events = {
  notification: { subscription: 'number', service: 'dictionary' },
  completion: { connection: 'number?', asyncCall: 'number', status: 'number', data: 'u64s' },
} as const satisfies IOMessageSchemaFields;

/** One event, typed by its `op`. */
export type IOHostEvent<Op extends keyof typeof events = keyof typeof events> = IOMessageOf<typeof events, Op>;
/** The events apps take, as a schema. */
export const kIOHostEventProtocol = new IOMessageSchema(events);
