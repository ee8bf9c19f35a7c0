import { IOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnBadArgument, kIOReturnNotAttached, kIOReturnNotFound, kIOReturnNotPermitted, kIOReturnUnsupported } from '../IOReturn/IOReturn';
import { serviceMatchesDictionary } from '../dispatch/IOServiceNotificationDispatchSource';
import { kIOServiceDEXTEntitlementsKey } from '../matching/IOMatchingEngine';
import { OSArray } from '../os/OSArray';
import { OSBoolean } from '../os/OSBoolean';
import { OSDictionary } from '../os/OSDictionary';
import type { OSObject } from '../os/OSObject';
import { OSString } from '../os/OSString';
import { IOService } from '../service/IOService';
import { kIOHostEventProtocol, type IOHostRequest } from '../ipc/IOHostClientProtocol';
import { messageFields, messageNumber } from '../ipc/IOMessageFields';
import { decodeCall, encodeResult } from '../userclient/IOUserClientCall';
import { IOSharedMemory } from '../memory/IOSharedMemory';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { describeIdentity, type IOClientIdentity } from './IOClientIdentity';
import { IOClientPolicy } from './IOClientPolicy';
import type { IOHostClient, IOHostSocket } from './IOHostSocket';
import type { IOServiceHost } from './IOServiceHost';
import type { IOUserClientHandle } from './IOUserServerHandle';

/** Mirrors the entitlement keys of IOUserServer::serviceNewUserClient. */
export const kIODriverKitAllowAnyUserClientAccess = 'com.apple.developer.driverkit.allow-any-userclient-access';
export const kIODriverKitUserClientAccess = 'com.apple.developer.driverkit.userclient-access';

/** How many connections (open user clients) and subscriptions one app may hold. */
const MAX_CONNECTIONS_PER_CLIENT = 64;
const MAX_SUBSCRIPTIONS_PER_CLIENT = 64;

interface Connection {
  id: number;
  service: IOService;
  handle: IOUserClientHandle;
  client: IOHostClient;
  /** The one-time token that lets the opener attach its own channel to the driver, until it does. */
  token: string | null;
}

interface Subscription {
  /** The app's own number for it, echoed in each notification. */
  clientId: number;
  client: IOHostClient;
  unlisten: () => void;
}



function names(o: OSObject | null): string[] {
  if (o instanceof OSString) return [o.getCStringNoCopy()];
  if (o instanceof OSArray) return [...o].flatMap((e) => names(e));
  return [];
}

/**
 * The host's side of the app API: finds services for apps, opens user clients on them with Apple's
 * entitlement checks, routes calls, completions and shared memory between apps and drivers, and
 * sends matched and terminated notifications. Everything an app sends is checked before it reaches a
 * driver; an app that disconnects has its user clients closed (their Stop and free run).
 */
export class IOUserClientRouter {
  readonly #connections = new Map<number, Connection>();
  readonly #subscriptions = new Set<Subscription>();
  #nextConnection = 1;

  constructor(
    readonly host: IOServiceHost,
    readonly socket: IOHostSocket,
    readonly policy: IOClientPolicy = IOClientPolicy.empty(),
  ) {
    socket.handle('getMatchingServices', ({ matching }) => {
      const list = OSArray.withCapacity(0);
      for (const e of host.registry.entries()) if (e instanceof IOService && e.isRegistered() && serviceMatchesDictionary(e, matching)) list.setObject(describe(e));
      return messageFields({ services: list });
    });
    socket.handle('getProperties', (m) => messageFields({ properties: this.#service(m.service).copyProperties() }));
    socket.handle('open', (m, client) => this.#open(m, client));
    socket.handle('close', async (m, client) => {
      await this.#close(this.#connection(m.connection, client));
      return null;
    });
    socket.handle('attach', (m, client, frame) => this.#attach(m, client, messageNumber(frame, 'rid') ?? 0));
    socket.handle('call', (m, client, frame) => this.#call(m, client, frame));
    socket.handle('map', async (m, client) => {
      const c = this.#connection(m.connection, client);
      const g = await c.handle.copyMemory(m.memoryType ?? 0n);
      return messageFields({ name: g.name, offset: g.offset, length: g.length, options: Number(g.options) });
    });
    socket.handle('subscribe', (m, client) => this.#subscribe(m, client));
    socket.handle('unsubscribe', (m, client) => {
      const id = m.subscription;
      for (const s of this.#subscriptions) {
        if (s.client !== client || s.clientId !== id) continue;
        s.unlisten();
        this.#subscriptions.delete(s);
      }
      return null;
    });
    socket.onDisconnect((client) => this.#disconnected(client));
    // A driver that goes away takes its user clients with it; apps learn through their calls failing.
    host.registry.listen({
      terminated: (e) => {
        for (const c of [...this.#connections.values()]) if (c.service === e) void this.#close(c);
      },
    });
  }

  #service(id: bigint): IOService {
    const e = this.host.registry.fromID(id);
    if (!(e instanceof IOService)) throw new IOReturnError(kIOReturnNotFound, 'no such service (it may have terminated)');
    return e;
  }

  #connection(id: number, client: IOHostClient): Connection {
    const c = this.#connections.get(id);
    if (!c || c.client !== client) throw new IOReturnError(kIOReturnNotAttached, 'no such connection (it was closed, or its driver went away)');
    return c;
  }

  /** Mirrors IOServiceOpen: NewUserClient in the driver, then IOUserServer::serviceNewUserClient's checks. */
  async #open(m: IOHostRequest<'open'>, client: IOHostClient): Promise<OSDictionary> {
    const service = this.#service(m.service);
    const driver = this.host.driverOf(service);
    if (!driver) throw new IOReturnError(kIOReturnUnsupported, `${service.getName()} is not a driver service; only drivers serve user clients`);
    if ([...this.#connections.values()].filter((c) => c.client === client).length >= MAX_CONNECTIONS_PER_CLIENT) {
      throw new IOReturnError(kIOReturnNotPermitted, `an app may hold at most ${MAX_CONNECTIONS_PER_CLIENT} connections`);
    }
    const identity = client.identity ?? { pid: 0, uid: -1, gid: -1, executable: null };
    const entitlements = this.policy.entitlementsFor(identity);
    const type = m.type ?? 0;
    const handle = await driver.server.openUserClient(service, type, entitlements);
    const refusal = this.#refusal(driver.personality.bundle.bundleIdentifier, driver.personality.bundle.entitlement(kIODriverKitAllowAnyUserClientAccess), handle.properties, entitlements, identity);
    if (refusal) {
      await handle.close();
      this.host.options.log(`user client refused: ${refusal}`);
      this.host.activity.refused(`open ${service.getName()} (type ${type})`, refusal);
      throw new IOReturnError(kIOReturnNotPermitted, refusal);
    }
    const id = this.#nextConnection++;
    // A driver in its own process can take the app's calls on a channel of their own (see #attach).
    const token = handle.direct && client.identity ? randomBytes(16).toString('hex') : null;
    this.#connections.set(id, { id, service, handle, client, token });
    return messageFields(token ? { connection: id, direct: token } : { connection: id });
  }

  /**
   * The app's own channel to an open user client: the app connects to the host again and sends `attach`
   * with the connection and the token its open returned; the host checks it is the same process (pid
   * and uid, from the kernel) and hands the socket to the driver process, which answers this request and
   * every call after it. The host keeps the connection: closing it (or the app's main connection going,
   * or the driver terminating) closes the user client, and the driver closes the channel with it.
   */
  async #attach(m: IOHostRequest<'attach'>, client: IOHostClient, rid: number): Promise<null> {
    const c = this.#connections.get(m.connection);
    const token = m.token;
    if (!c?.token || token.length !== c.token.length || !timingSafeEqual(Buffer.from(token), Buffer.from(c.token))) {
      throw new IOReturnError(kIOReturnNotPermitted, 'attach: no open connection with that token (it was closed, or already attached)');
    }
    const opener = c.client.identity;
    const caller = client.identity;
    if (!opener || !caller || opener.pid !== caller.pid || opener.uid !== caller.uid) {
      throw new IOReturnError(kIOReturnNotPermitted, `attach: only the process that opened the connection (pid ${opener?.pid ?? '?'}) may attach to it`);
    }
    // The socket leaves the host: it must carry nothing the host would have to clean up when it closes.
    if (client.inFlight > 1 || [...this.#connections.values()].some((o) => o.client === client) || [...this.#subscriptions].some((s) => s.client === client)) {
      throw new IOReturnError(kIOReturnBadArgument, 'attach: the channel must be a connection of its own, with nothing open or pending on it');
    }
    c.token = null;
    const stream = this.socket.takeOver(client);
    await c.handle.direct!(stream, rid).catch((e) => {
      this.host.options.log(`handing an app's channel to ${c.service.getName()}'s driver: ${(e as Error).message}`);
      stream.destroy();
    });
    return null;
  }

  /** Apple's macOS checks, in order; null when the app may have the user client, else what is missing. */
  #refusal(bundleID: string, allowAny: OSObject | null, ucProperties: OSDictionary, app: OSDictionary, identity: IOClientIdentity): string | null {
    const who = `the client (${describeIdentity(identity)})`;
    if (!(allowAny instanceof OSBoolean && allowAny.isTrue())) {
      const access = names(app.getObject(kIODriverKitUserClientAccess));
      if (!access.includes(bundleID)) {
        const held = access.length ? `lists only ${access.join(', ')}` : 'has none';
        return `UC failed userclient-access check, needed bundle ID ${bundleID}: ${who} needs the entitlement ${kIODriverKitUserClientAccess} listing ${bundleID} in the host's client policy (it ${held}), or the driver needs ${kIODriverKitAllowAnyUserClientAccess}`;
      }
    }
    const required = names(ucProperties.getObject(kIOServiceDEXTEntitlementsKey));
    const missing = required.filter((n) => {
      const v = app.getObject(n);
      return v === null || (v instanceof OSBoolean && !v.isTrue());
    });
    if (missing.length) return `${who} lacks ${missing.join(', ')}, which the user client of ${bundleID} requires (IOServiceDEXTEntitlements)`;
    return null;
  }

  async #call(m: IOHostRequest<'call'>, client: IOHostClient, frame: OSDictionary): Promise<OSDictionary> {
    const c = this.#connection(m.connection, client);
    this.host.activity.count('user-client calls', c.service.getName());
    const call = decodeCall(frame);
    const asyncID = m.asyncCall ?? null;
    const onCompletion =
      call.asyncReference && asyncID !== null
        ? (status: number, data: bigint[]) => {
            if (client.channel.isClosed()) return;
            const note = kIOHostEventProtocol.encode({ op: 'completion', connection: c.id, asyncCall: asyncID, status: status >>> 0, data });
            client.channel.send(note);
            note.release();
          }
        : null;
    if (call.asyncReference && asyncID === null) throw new IOReturnError(kIOReturnBadArgument, 'an async call needs an asyncCall id');
    // Memory a call names must be the caller's own, and is opened to the driver's account.
    for (const name of [call.structureInputMemory, call.structureOutputMemory]) {
      if (name) IOSharedMemory.grant(name, client.identity?.uid ?? -1, c.handle.account?.gid ?? null);
    }
    const result = await c.handle.call(call, onCompletion);
    return encodeResult(result, OSDictionary.withCapacity(6));
  }

  async #close(c: Connection): Promise<void> {
    if (!this.#connections.delete(c.id)) return;
    await c.handle.close().catch((e) => this.host.options.log(`closing a user client of ${c.service.getName()}: ${(e as Error).message}`));
  }

  /** IOServiceAddMatchingNotification: matched (existing ones first) or terminated services, pushed to the app. */
  #subscribe(m: IOHostRequest<'subscribe'>, client: IOHostClient): null {
    const { subscription: id, kind, matching } = m;
    if (kind !== 'matched' && kind !== 'terminated') throw new IOReturnError(kIOReturnBadArgument, `subscribe: kind is ${kind}, not matched or terminated`);
    const mine = [...this.#subscriptions].filter((s) => s.client === client);
    if (mine.length >= MAX_SUBSCRIPTIONS_PER_CLIENT) throw new IOReturnError(kIOReturnNotPermitted, `an app may hold at most ${MAX_SUBSCRIPTIONS_PER_CLIENT} notification requests`);
    if (mine.some((s) => s.clientId === id)) throw new IOReturnError(kIOReturnBadArgument, `subscription ${id} exists`);
    const table = matching.copyCollection();
    const send = (service: IOService) => {
      if (client.channel.isClosed()) return;
      const note = kIOHostEventProtocol.encode({ op: 'notification', subscription: id, service: describe(service) });
      client.channel.send(note);
      note.release();
    };
    const matched = new Set<IOService>();
    const consider = (e: IOService) => {
      if (matched.has(e) || !serviceMatchesDictionary(e, table)) return;
      matched.add(e);
      if (kind === 'matched') send(e);
    };
    for (const e of this.host.registry.entries()) if (e instanceof IOService && e.isRegistered()) consider(e);
    const unlisten = this.host.registry.listen({
      registered: (e) => e instanceof IOService && consider(e),
      terminated: (e) => {
        if (e instanceof IOService && matched.delete(e) && kind === 'terminated') send(e);
      },
    });
    this.#subscriptions.add({ clientId: id, client, unlisten });
    return null;
  }

  #disconnected(client: IOHostClient): void {
    for (const c of [...this.#connections.values()]) if (c.client === client) void this.#close(c);
    for (const s of [...this.#subscriptions]) {
      if (s.client !== client) continue;
      s.unlisten();
      this.#subscriptions.delete(s);
    }
  }

  /** Open connections (for tests and status views). */
  connectionCount(): number {
    return this.#connections.size;
  }
}

/** A service as apps see it: its registry entry ID, name and class. */
function describe(service: IOService): OSDictionary {
  const d = OSDictionary.withCapacity(3);
  d.setObject('id', service.GetRegistryEntryID());
  d.setObject('name', service.getName());
  d.setObject('class', service.getClassName());
  return d;
}

