import { IOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnBadArgument, kIOReturnNotAttached, kIOReturnSuccess } from '../IOReturn/IOReturn';
import { IOHostConnection } from '../host/IOHostConnection';
import { messageNumber, messageString } from '../ipc/IOMessageFields';
import { defaultHostSocketPath } from '../host/IOHostSocket';
import { IOSharedMemory } from '../memory/IOSharedMemory';
import { OSArray } from '../os/OSArray';
import { OSDictionary } from '../os/OSDictionary';
import { OSNumber } from '../os/OSNumber';
import type { OSObject } from '../os/OSObject';
import { OSString } from '../os/OSString';
import { decodeResult, encodeCall, type IOUserClientCall, type IOUserClientCallResult } from '../userclient/IOUserClientCall';
import { IOUserClientCallFrame } from '../userclient/IOUserClientCallFrame';
import { kIOHostEventProtocol, type IOHostEvent } from '../ipc/IOHostClientProtocol';
import { kIOUserClientMemoryReadOnly, kIOUserClientStructureInbandMax } from '../userclient/IOUserClientMethodArguments';

/** Mirrors `kIOMainPortDefault` (formerly kIOMasterPortDefault): the host at the default socket. */
export const kIOMainPortDefault = 0;
/** Mirrors the notification types of IOServiceAddMatchingNotification. */
export const kIOFirstMatchNotification = 'IOServiceFirstMatch';
export const kIOMatchedNotification = 'IOServiceMatched';
export const kIOTerminatedNotification = 'IOServiceTerminate';

/** Mirrors `io_service_t`: a service in the host's registry, as an app holds it. */
export class IOServiceRef {
  constructor(
    readonly mainPort: IOMainPort,
    readonly registryEntryID: bigint,
    readonly name: string,
    readonly className: string,
  ) {}
}

/** Mirrors `mach_port_t` for the host: one connection to a host's socket, shared by the calls made through it. */
export class IOMainPort {
  #connection: Promise<IOHostConnection> | null = null;
  readonly #events = new Map<string, (event: IOHostEvent) => void>();
  /** User clients' own channels to their drivers, opened through this port. */
  readonly #direct = new Set<IOHostConnection>();

  constructor(readonly path: string = defaultHostSocketPath()) {}

  /** @internal */
  connection(): Promise<IOHostConnection> {
    this.#connection ??= IOHostConnection.connect(this.path).then((c) => {
      c.onEvent = (m) => {
        const e = readEvent(m);
        if (e?.op === 'completion') this.#events.get(`c${e.connection}/${e.asyncCall}`)?.(e);
        else if (e?.op === 'notification') this.#events.get(`n${e.subscription}`)?.(e);
      };
      c.onClose = () => {
        this.#connection = null;
      };
      return c;
    }, (e) => {
      this.#connection = null;
      throw e;
    });
    return this.#connection;
  }

  /** @internal */
  on(id: string, handler: ((event: IOHostEvent) => void) | null): void {
    if (handler) this.#events.set(id, handler);
    else this.#events.delete(id);
  }

  /**
   * @internal
   * The user client `connection`'s own channel to its driver: a second connection to the host, which
   * admits it with the one-time `token` and hands it to the driver process. Null if the host or the
   * driver would not have it (calls then go through the host, as they always can).
   */
  async attach(connection: number, token: string): Promise<IOHostConnection | null> {
    let c: IOHostConnection | null = null;
    try {
      c = await IOHostConnection.connect(this.path);
      await c.ask({ op: 'attach', connection, token });
    } catch {
      c?.close();
      return null;
    }
    const direct = c;
    this.#direct.add(direct);
    direct.onEvent = (m) => {
      const e = readEvent(m);
      if (e?.op === 'completion') this.#events.get(`c${connection}/${e.asyncCall}`)?.(e);
    };
    direct.onClose = () => this.#direct.delete(direct);
    return direct;
  }

  /** Closes the connection (open user clients on it are closed by the host, and their own channels with them). */
  close(): void {
    void this.#connection?.then((c) => c.close());
    this.#connection = null;
    for (const d of this.#direct) d.close();
    this.#direct.clear();
  }
}

let defaultPort: IOMainPort | null = null;

/** Mirrors `IOMainPort(bootstrap, &port)`: the connection to the host at `path` (default: the per-user socket). */
export function IOMainPortCreate(path?: string): IOMainPort {
  return new IOMainPort(path);
}

function port(p: IOMainPort | typeof kIOMainPortDefault): IOMainPort {
  if (p instanceof IOMainPort) return p;
  defaultPort ??= new IOMainPort();
  return defaultPort;
}


/** An event from the host or a driver, read through the event schema; null for one that does not read (it is dropped). */
function readEvent(m: OSDictionary): IOHostEvent | null {
  try {
    return kIOHostEventProtocol.decode(m, ['notification', 'completion']);
  } catch {
    return null;
  }
}

function readService(mainPort: IOMainPort, d: OSObject | null): IOServiceRef {
  if (!(d instanceof OSDictionary)) throw new IOReturnError(kIOReturnBadArgument, 'the host described a service badly');
  return new IOServiceRef(mainPort, (d.getObject('id') as OSNumber).unsigned64BitValue(), (d.getObject('name') as OSString).getCStringNoCopy(), (d.getObject('class') as OSString).getCStringNoCopy());
}

/** Mirrors `IOServiceMatching(className)`: a dictionary matching services of the class (or a subclass). */
export function IOServiceMatching(className: string): OSDictionary {
  const d = OSDictionary.withCapacity(1);
  d.setObject('IOProviderClass', className);
  return d;
}

/** Mirrors `IOServiceNameMatching(name)`: a dictionary matching services by name. */
export function IOServiceNameMatching(name: string): OSDictionary {
  const d = OSDictionary.withCapacity(1);
  d.setObject('IONameMatch', name);
  return d;
}

/** Mirrors `IOServiceGetMatchingServices(mainPort, matching, &iterator)`: every registered service that matches. */
export async function IOServiceGetMatchingServices(mainPort: IOMainPort | typeof kIOMainPortDefault, matching: OSDictionary): Promise<IOServiceRef[]> {
  const p = port(mainPort);
  const reply = await (await p.connection()).ask({ op: 'getMatchingServices', matching });
  const list = reply.getObject('services');
  return list instanceof OSArray ? [...list].map((d) => readService(p, d)) : [];
}

/** Mirrors `IOServiceGetMatchingService(mainPort, matching)`: the first match, or null. */
export async function IOServiceGetMatchingService(mainPort: IOMainPort | typeof kIOMainPortDefault, matching: OSDictionary): Promise<IOServiceRef | null> {
  return (await IOServiceGetMatchingServices(mainPort, matching))[0] ?? null;
}

/** Mirrors `IORegistryEntryCreateCFProperties(service, &properties)`: the service's properties now. */
export async function IORegistryEntryCreateCFProperties(service: IOServiceRef): Promise<OSDictionary> {
  const reply = await (await service.mainPort.connection()).ask({ op: 'getProperties', service: service.registryEntryID });
  return reply.getObject('properties') as OSDictionary;
}

/** Mirrors `IORegistryEntryCreateCFProperty(service, key)`: one property, or null. */
export async function IORegistryEntryCreateCFProperty(service: IOServiceRef, key: string): Promise<OSObject | null> {
  return (await IORegistryEntryCreateCFProperties(service)).getObject(key);
}

/** Mirrors `IORegistryEntryGetRegistryEntryID`. */
export function IORegistryEntryGetRegistryEntryID(service: IOServiceRef): bigint {
  return service.registryEntryID;
}

/** Mirrors `IOObjectGetClass`. */
export function IOObjectGetClass(service: IOServiceRef): string {
  return service.className;
}

/** Mirrors `io_connect_t`: an open user client. */
export class IOConnection {
  #closed = false;
  #nextAsync = 1;

  constructor(
    readonly service: IOServiceRef,
    readonly id: number,
    /** @internal The user client's own channel to its driver process, when it has one. */
    readonly direct: IOHostConnection | null = null,
  ) {}

  isClosed(): boolean {
    return this.#closed;
  }

  /** @internal */
  markClosed(): void {
    this.#closed = true;
  }

  /** @internal */
  nextAsyncID(): number {
    return this.#nextAsync++;
  }
}

/**
 * Mirrors `IOServiceOpen(service, owningTask, type, &connect)`: the driver's NewUserClient(type),
 * admitted by the host's entitlement checks (kIOReturnNotPermitted names what is missing).
 */
export async function IOServiceOpen(service: IOServiceRef, type = 0): Promise<IOConnection> {
  const reply = await (await service.mainPort.connection()).ask({ op: 'open', service: service.registryEntryID, type });
  const id = messageNumber(reply, 'connection') ?? -1;
  // A driver in its own process takes the calls straight from the app (one socket crossing each way, not two).
  const token = messageString(reply, 'direct');
  return new IOConnection(service, id, token ? await service.mainPort.attach(id, token) : null);
}

/** Mirrors `IOServiceClose(connect)`: the user client's Stop and free run in the driver. */
export async function IOServiceClose(connect: IOConnection): Promise<void> {
  if (connect.isClosed()) return;
  connect.markClosed();
  const c = await connect.service.mainPort.connection();
  try {
    await c.ask({ op: 'close', connection: connect.id });
  } finally {
    connect.direct?.close();
  }
}

/** The inputs of IOConnectCallMethod. */
export interface IOConnectCallInput {
  scalarInput?: readonly (bigint | number)[];
  structureInput?: Uint8Array | null;
  /** How many scalars the app takes back (at most 16). */
  scalarOutputCount?: number;
  /** The app's buffer for a structure output, in bytes. */
  structureOutputSize?: number;
}

/** What IOConnectCallMethod returns. */
export interface IOConnectCallOutput {
  scalarOutput: bigint[];
  structureOutput: Uint8Array;
}

/** Mirrors `IOAsyncCallback(refcon, result, args, numArgs)`. */
export type IOAsyncCallback = (refcon: unknown, result: number, args: bigint[]) => void;

/** Mirrors the asyncRef array's callback and refcon slots. */
export interface IOAsyncReference {
  callback: IOAsyncCallback;
  refcon?: unknown;
}

/** A call as the host takes it: a dictionary, which the host checks and forwards to the driver process. */
async function callThroughHost(c: IOHostConnection, connection: number, call: IOUserClientCall, asyncID: number | null): Promise<IOUserClientCallResult> {
  const m = encodeCall(call, OSDictionary.withCapacity(8));
  m.setObject('connection', connection);
  if (asyncID !== null) m.setObject('asyncCall', asyncID);
  try {
    return decodeResult(await c.request('call', m, true));
  } finally {
    m.release();
  }
}

async function callMethod(connect: IOConnection, selector: number | bigint, input: IOConnectCallInput, async: { port: IONotificationPort; ref: IOAsyncReference } | null): Promise<IOConnectCallOutput> {
  if (connect.isClosed()) throw new IOReturnError(kIOReturnNotAttached, 'the connection is closed');
  const mainPort = connect.service.mainPort;
  const c = await mainPort.connection();
  const shared: IOSharedMemory[] = [];
  const structureInput = input.structureInput ?? null;
  const outputSize = input.structureOutputSize ?? 0;
  const call: IOUserClientCall = {
    selector: BigInt(selector),
    scalarInput: (input.scalarInput ?? []).map((v) => BigInt.asUintN(64, BigInt(v))),
    structureInput: null,
    structureInputMemory: null,
    structureInputLength: structureInput?.length ?? 0,
    scalarOutputCount: input.scalarOutputCount ?? 0,
    structureOutputMaximumSize: outputSize,
    structureOutputMemory: null,
    asyncReference: async ? [0n] : null,
  };
  let asyncID: number | null = null;
  try {
    // Structures beyond a message go through memory the driver maps, as large ones do on macOS.
    if (structureInput && structureInput.length > kIOUserClientStructureInbandMax) {
      const m = IOSharedMemory.allocate(structureInput.length, 'process');
      shared.push(m);
      new Uint8Array(m.buffer).set(structureInput);
      call.structureInputMemory = m.name;
    } else call.structureInput = structureInput;
    let outputMemory: IOSharedMemory | null = null;
    if (outputSize > kIOUserClientStructureInbandMax) {
      outputMemory = IOSharedMemory.allocate(outputSize, 'process');
      shared.push(outputMemory);
      call.structureOutputMemory = outputMemory.name;
    }
    if (async) {
      asyncID = connect.nextAsyncID();
      const { callback, refcon } = async.ref;
      mainPort.on(`c${connect.id}/${asyncID}`, (note) => {
        if (note.op === 'completion') async.port.deliver(() => callback(refcon, note.status >>> 0, [...note.data]));
      });
    }
    // Memory a call names is granted to the driver by the host, so those calls go through it. On the
    // user client's own channel a call is a fixed binary frame, not a dictionary.
    const direct = connect.direct && !connect.direct.isClosed() && !shared.length ? connect.direct : null;
    const r = direct ? IOUserClientCallFrame.decodeReply(await direct.requestFrame((rid) => IOUserClientCallFrame.encodeCall(rid, call, asyncID))) : await callThroughHost(c, connect.id, call, asyncID);
    if (r.status !== kIOReturnSuccess) throw new IOReturnError(r.status, r.message ?? `selector ${selector} failed`);
    const structureOutput = outputMemory ? Uint8Array.from(new Uint8Array(outputMemory.buffer, 0, Math.min(r.structureOutputLength, outputSize))) : (r.structureOutput ?? new Uint8Array(0));
    return { scalarOutput: r.scalarOutput, structureOutput };
  } catch (e) {
    if (asyncID !== null) mainPort.on(`c${connect.id}/${asyncID}`, null);
    throw e;
  } finally {
    for (const s of shared) s.close();
  }
}

/** Mirrors `IOConnectCallMethod`: scalars and a structure each way. */
export function IOConnectCallMethod(connect: IOConnection, selector: number | bigint, input: IOConnectCallInput = {}): Promise<IOConnectCallOutput> {
  return callMethod(connect, selector, input, null);
}

/** Mirrors `IOConnectCallScalarMethod`: scalars in, `outputCount` scalars back. */
export async function IOConnectCallScalarMethod(connect: IOConnection, selector: number | bigint, input: readonly (bigint | number)[], outputCount: number): Promise<bigint[]> {
  return (await callMethod(connect, selector, { scalarInput: input, scalarOutputCount: outputCount }, null)).scalarOutput;
}

/** Mirrors `IOConnectCallStructMethod`: a structure in, up to `outputSize` bytes back. */
export async function IOConnectCallStructMethod(connect: IOConnection, selector: number | bigint, input: Uint8Array | null, outputSize: number): Promise<Uint8Array> {
  return (await callMethod(connect, selector, { structureInput: input, structureOutputSize: outputSize }, null)).structureOutput;
}

/**
 * Mirrors `IOConnectCallAsyncMethod(connect, selector, wakePort, asyncRef, …)`: as IOConnectCallMethod,
 * and the driver may later complete it (AsyncCompletion), which calls `asyncRef.callback` through the
 * notification port. Register the port before the first async call, as Apple's sample insists.
 */
export function IOConnectCallAsyncMethod(connect: IOConnection, selector: number | bigint, wakePort: IONotificationPort, asyncRef: IOAsyncReference, input: IOConnectCallInput = {}): Promise<IOConnectCallOutput> {
  return callMethod(connect, selector, input, { port: wakePort, ref: asyncRef });
}

/** What IOConnectMapMemory64 gives: the driver's bytes, mapped into this process. */
export interface IOConnectMemoryMap {
  readonly address: bigint;
  readonly length: number;
  /** The shared bytes: the app sees what the driver writes. For read-only memory, writes stay private to the app. */
  readonly bytes: Uint8Array;
  readonly readOnly: boolean;
  /** Mirrors `IOConnectUnmapMemory64`. */
  unmap(): void;
}

/** Mirrors `IOConnectMapMemory64(connect, type, task, &address, &size, options)`: the driver's CopyClientMemoryForType(type), mapped. */
export async function IOConnectMapMemory64(connect: IOConnection, memoryType: number | bigint): Promise<IOConnectMemoryMap> {
  if (connect.isClosed()) throw new IOReturnError(kIOReturnNotAttached, 'the connection is closed');
  const c = await connect.service.mainPort.connection();
  const reply = await c.ask({ op: 'map', connection: connect.id, memoryType: BigInt(memoryType) });
  const name = (reply.getObject('name') as OSString).getCStringNoCopy();
  const offset = messageNumber(reply, 'offset') ?? 0;
  const length = messageNumber(reply, 'length') ?? 0;
  const readOnly = (BigInt(messageNumber(reply, 'options') ?? 0) & kIOUserClientMemoryReadOnly) !== 0n;
  const memory = IOSharedMemory.attach(name, { copyOnWrite: readOnly });
  if (offset + length > memory.length) {
    memory.close();
    throw new IOReturnError(kIOReturnBadArgument, `the driver shared ${offset}+${length} bytes of a ${memory.length}-byte buffer`);
  }
  return {
    address: memory.address! + BigInt(offset),
    length,
    bytes: new Uint8Array(memory.buffer, offset, length),
    readOnly,
    unmap: () => memory.close(),
  };
}

/** Mirrors `IONotificationPortRef`: where async completions and matching notifications are delivered. */
export class IONotificationPort {
  #destroyed = false;
  readonly #subscriptions = new Set<number>();
  static #next = 1;

  constructor(readonly mainPort: IOMainPort) {}

  /** @internal */
  deliver(fn: () => void): void {
    if (!this.#destroyed) setImmediate(fn);
  }

  /** @internal */
  track(id: number): void {
    this.#subscriptions.add(id);
  }

  /** @internal */
  static nextSubscription(): number {
    return IONotificationPort.#next++;
  }

  /** Mirrors `IONotificationPortDestroy`: no more callbacks; its matching notifications end. */
  destroy(): void {
    this.#destroyed = true;
    for (const id of this.#subscriptions) {
      this.mainPort.on(`n${id}`, null);
      void this.mainPort.connection().then((c) => c.ask({ op: 'unsubscribe', subscription: id }).catch(() => {}));
    }
    this.#subscriptions.clear();
  }
}

/** Mirrors `IONotificationPortCreate(mainPort)`. */
export function IONotificationPortCreate(mainPort: IOMainPort | typeof kIOMainPortDefault = kIOMainPortDefault): IONotificationPort {
  return new IONotificationPort(port(mainPort));
}

/** Mirrors `IOServiceMatchingCallback(refcon, iterator)`: here with the services the iterator would give. */
export type IOServiceMatchingCallback = (refcon: unknown, services: IOServiceRef[]) => void;

/**
 * Mirrors `IOServiceAddMatchingNotification(port, type, matching, callback, refcon, &iterator)`:
 * `kIOFirstMatchNotification` / `kIOMatchedNotification` report services as they match (those
 * already there first, as draining the iterator does on macOS); `kIOTerminatedNotification` reports
 * them as they terminate (a driver process dying included).
 */
export async function IOServiceAddMatchingNotification(
  notifyPort: IONotificationPort,
  notificationType: typeof kIOFirstMatchNotification | typeof kIOMatchedNotification | typeof kIOTerminatedNotification,
  matching: OSDictionary,
  callback: IOServiceMatchingCallback,
  refcon?: unknown,
): Promise<void> {
  const mainPort = notifyPort.mainPort;
  const c = await mainPort.connection();
  const id = IONotificationPort.nextSubscription();
  mainPort.on(`n${id}`, (note) => {
    if (note.op !== 'notification') return;
    const service = readService(mainPort, note.service);
    notifyPort.deliver(() => callback(refcon, [service]));
  });
  notifyPort.track(id);
  await c.ask({ op: 'subscribe', subscription: id, kind: notificationType === kIOTerminatedNotification ? 'terminated' : 'matched', matching });
}
