import { chmodSync, mkdirSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { IOReturnError, errorReason, ioReturnFromException } from '../IOReturn/IOReturnError';
import { kIOReturnBadArgument, kIOReturnNoResources, kIOReturnNotFound, kIOReturnUnsupported } from '../IOReturn/IOReturn';
import { kIOHostClientProtocol, type IOHostRequest, type IOHostRequestOp } from '../ipc/IOHostClientProtocol';
import { IOMessageChannel } from '../ipc/IOMessageChannel';
import { messageFields, messageString } from '../ipc/IOMessageFields';
import { OSArray } from '../os/OSArray';
import { OSDictionary } from '../os/OSDictionary';
import { OSNumber } from '../os/OSNumber';
import type { IORegistryEntry } from '../registry/IORegistryEntry';
import { IOService } from '../service/IOService';
import { identifyPeer, type IOClientIdentity } from './IOClientIdentity';
import type { IOServiceHost } from './IOServiceHost';

/**
 * Where a host listens unless told otherwise: `$DRIVERKIT_HOST_SOCKET`, else
 * `$XDG_RUNTIME_DIR/driverkit/host.sock`, else `<tmpdir>/driverkit-<uid>/host.sock`: one per user.
 */
export function defaultHostSocketPath(): string {
  if (process.env.DRIVERKIT_HOST_SOCKET) return process.env.DRIVERKIT_HOST_SOCKET;
  if (process.env.XDG_RUNTIME_DIR) return join(process.env.XDG_RUNTIME_DIR, 'driverkit', 'host.sock');
  return join(tmpdir(), `driverkit-${process.getuid?.() ?? 'user'}`, 'host.sock');
}

/** One connected client: its channel and who the kernel says it is. */
export interface IOHostClient {
  readonly channel: IOMessageChannel;
  readonly identity: IOClientIdentity | null;
  /** Requests being answered now; past {@link kIOHostMaxRequestsInFlight} more are refused. */
  inFlight: number;
}

/** How many requests one client may have outstanding before the host refuses more (flood guard). */
export const kIOHostMaxRequestsInFlight = 256;

/**
 * A handler for one request op: `request` is its fields, already read through the protocol's schema
 * (`frame` is the whole message, for fields a handler reads itself); it returns the reply's fields.
 */
export type IOHostSocketHandler<Op extends IOHostRequestOp = IOHostRequestOp> = (request: IOHostRequest<Op>, client: IOHostClient, frame: OSDictionary) => Promise<OSDictionary | null> | OSDictionary | null;

/**
 * The host's Unix domain socket (mode 0660): framed OSSerialization requests with request ids and
 * kIOReturn statuses. It answers `registry` (the tree, as ioreg structures it), `explain` (why each
 * personality did or did not match an entry) and `list` (the nubs families published); other parts
 * of the framework (user clients) add ops with {@link handle}.
 */
export class IOHostSocket {
  readonly #handlers = new Map<string, IOHostSocketHandler<any>>();
  readonly #connections = new Map<IOMessageChannel, IOHostClient>();
  readonly #disconnectListeners = new Set<(client: IOHostClient) => void>();
  #server: Server | null = null;

  constructor(
    readonly host: IOServiceHost,
    readonly path: string = defaultHostSocketPath(),
  ) {
    this.handle('registry', () => messageFields({ registry: host.registry.toDictionary() }));
    this.handle('explain', (m) => {
      const entry = this.lookup(m.entry);
      if (!(entry instanceof IOService)) throw new IOReturnError(kIOReturnBadArgument, `${entry.getPath()} is not a service`);
      return messageFields({ text: host.explainText(entry) });
    });
    this.handle('activity', () => messageFields({ activity: host.activity.toDictionary() }));
    this.handle('list', () => {
      const nubs = OSArray.withCapacity(0);
      for (const n of host.nubs()) {
        const d = n.copyProperties();
        d.setObject('IORegistryEntryPath', n.getPath());
        d.setObject('IOObjectClass', n.getClassName());
        d.setObject('IORegistryEntryID', n.GetRegistryEntryID());
        d.setObject('IOServiceMatchedCount', host.clientsOf(n).size);
        nubs.setObject(d);
        d.release();
      }
      return messageFields({ nubs });
    });
  }

  /** Called when a client disconnects (or is disconnected), after its pending requests. */
  onDisconnect(listener: (client: IOHostClient) => void): () => void {
    this.#disconnectListeners.add(listener);
    return () => this.#disconnectListeners.delete(listener);
  }

  /** Adds (or replaces) the handler for `op`, one of the protocol's requests ({@link IOHostRequestOp}). */
  handle<Op extends IOHostRequestOp>(op: Op, handler: IOHostSocketHandler<Op>): void {
    this.#handlers.set(op, handler);
  }

  /**
   * Starts listening. A socket file left by a host that is gone is replaced; a live host at the same
   * path is an error naming it.
   */
  async listen(): Promise<void> {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    if (await isListening(this.path)) throw new IOReturnError(kIOReturnUnsupported, `another driverkit host is already listening on ${this.path}`);
    try {
      unlinkSync(this.path);
    } catch {
      // No stale socket.
    }
    const server = createServer((socket) => this.#accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.path, () => resolve());
    });
    chmodSync(this.path, 0o660);
    this.#server = server;
  }

  /** Stops listening, closes every connection and removes the socket file. */
  async close(): Promise<void> {
    for (const c of [...this.#connections.keys()]) c.close();
    const server = this.#server;
    this.#server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    try {
      unlinkSync(this.path);
    } catch {
      // Already gone.
    }
  }

  #accept(socket: Socket): void {
    let identity: IOClientIdentity | null = null;
    try {
      identity = identifyPeer(socket);
    } catch {
      // Without SO_PEERCRED the client gets no policy entitlements (only allow-any drivers open).
    }
    const channel = new IOMessageChannel(socket);
    const client: IOHostClient = { channel, identity, inFlight: 0 };
    this.#connections.set(channel, client);
    channel.onClose = () => {
      this.#connections.delete(channel);
      for (const l of this.#disconnectListeners) l(client);
    };
    channel.onMessage = (m) => void this.#dispatch(client, m);
  }

  async #dispatch(client: IOHostClient, m: OSDictionary): Promise<void> {
    const channel = client.channel;
    const rid = m.getObject('rid');
    const op = messageString(m, 'op');
    const reply = OSDictionary.withCapacity(4);
    reply.setObject('op', 'reply');
    reply.setObject('rid', rid instanceof OSNumber ? rid : OSNumber.withNumber(0, 32));
    client.inFlight++;
    try {
      if (client.inFlight > kIOHostMaxRequestsInFlight) throw new IOReturnError(kIOReturnNoResources, `more than ${kIOHostMaxRequestsInFlight} requests outstanding on one connection`);
      const handler = op && kIOHostClientProtocol.has(op) ? this.#handlers.get(op) : undefined;
      if (!handler) throw new IOReturnError(kIOReturnUnsupported, `unknown request "${op}"`);
      const result = await handler(kIOHostClientProtocol.fields(m, op as IOHostRequestOp), client, m);
      reply.setObject('status', 0);
      if (result) reply.merge(result);
    } catch (e) {
      reply.setObject('status', OSNumber.withNumber(ioReturnFromException(e), 32));
      reply.setObject('message', errorReason(e));
    } finally {
      client.inFlight--;
    }
    if (!channel.isClosed()) channel.send(reply);
  }

  /**
   * Takes `client`'s socket out of the host's hands, unread past the request being handled and without
   * the disconnect listeners running (nothing was lost: the socket lives on elsewhere). The request gets
   * no reply from the host; whoever takes the socket answers it.
   */
  takeOver(client: IOHostClient): Socket {
    const socket = client.channel.detach() as Socket;
    this.#connections.delete(client.channel);
    return socket;
  }

  /** An entry by path (`IOService:/…`), registry entry ID (`0x…`), or unique name. */
  lookup(spec: string | null): IORegistryEntry {
    if (!spec) throw new IOReturnError(kIOReturnBadArgument, 'no entry named (give a path, a registry entry ID, or a name)');
    const registry = this.host.registry;
    if (/^(0x[0-9a-f]+|[0-9]+)$/i.test(spec)) {
      const e = registry.fromID(BigInt(spec));
      if (e) return e;
    }
    if (spec.includes('/')) {
      const e = registry.fromPath(spec);
      if (e) return e;
      throw new IOReturnError(kIOReturnNotFound, `no registry entry at ${spec}`);
    }
    const named = [...registry.entries()].filter((e) => e.getName() === spec || e.pathComponent() === spec);
    if (named.length === 1) return named[0]!;
    if (named.length > 1) throw new IOReturnError(kIOReturnBadArgument, `${named.length} entries are named ${spec}: ${named.map((e) => e.getPath()).join(', ')}; give a path or ID`);
    throw new IOReturnError(kIOReturnNotFound, `no registry entry named ${spec}`);
  }
}



function isListening(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
