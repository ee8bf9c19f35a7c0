import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { IOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnBadArgument } from '../IOReturn/IOReturn';
import { IOHostConnection } from '../host/IOHostConnection';
import { OSDictionary } from '../os/OSDictionary';
import { OSString } from '../os/OSString';
import { fromOSObject } from '../os/OSValue';
import { explorerPage } from './explorerPage';
import { toExplorerEntry } from './typedJSON';

/** How often the host is read; changes reach the page within this (plus the page's own update). */
const kPollMs = 200;
/** Seconds of rate history each chart shows. */
const kHistory = 60;

/** A counter's recent rates, per second. */
interface RateSeries {
  kind: string;
  name: string;
  total: number;
  rates: number[];
}

/**
 * `driverkit explore`'s server: the running host's registry, drivers, refusals and call rates as a
 * web page, IORegistryExplorer's view. Listens on loopback only; every request (the page and its
 * WebSocket) must carry the random token the URL was given, or is refused with 403. It reads the host
 * over its socket and pushes a new snapshot to every page whenever something changed, so pages never
 * reload; a page asks for `match --explain` of the entry it selects over the same WebSocket.
 */
export class IORegistryExplorerServer {
  readonly token = randomBytes(24).toString('hex');
  readonly #http: Server;
  readonly #ws = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  #connection: IOHostConnection | null = null;
  #timer: NodeJS.Timeout | null = null;
  #last = '';
  #snapshot = '';
  readonly #series = new Map<string, RateSeries & { at: number }>();
  #sampledAt = 0;
  #error: string | null = null;

  constructor(readonly socketPath: string | undefined) {
    this.#http = createServer((req, res) => this.#request(req, res));
    this.#http.on('upgrade', (req, socket, head) => this.#upgrade(req, socket, head));
  }

  /** Starts serving on 127.0.0.1:`port` (0: any free port); resolves with the page's URL, token included. */
  async listen(port = 0): Promise<string> {
    this.#connection = await IOHostConnection.connect(this.socketPath);
    await new Promise<void>((resolve, reject) => {
      this.#http.once('error', reject);
      this.#http.listen(port, '127.0.0.1', () => resolve());
    });
    await this.#poll();
    this.#timer = setInterval(() => void this.#poll(), kPollMs);
    const { port: bound } = this.#http.address() as { port: number };
    return `http://127.0.0.1:${bound}/?token=${this.token}`;
  }

  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    for (const c of this.#ws.clients) c.terminate();
    this.#ws.close();
    this.#connection?.close();
    this.#http.closeAllConnections?.();
    await new Promise<void>((resolve) => this.#http.close(() => resolve()));
  }

  #authorized(req: IncomingMessage): boolean {
    const given = Buffer.from(new URL(req.url ?? '/', 'http://localhost').searchParams.get('token') ?? '');
    const expected = Buffer.from(this.token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  #request(req: IncomingMessage, res: ServerResponse): void {
    if (!this.#authorized(req)) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end('driverkit explore: this page needs the token printed with its URL\n');
      return;
    }
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method !== 'GET' || path !== '/') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    // The page is self-contained; nothing it loads comes from elsewhere.
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:", 'x-frame-options': 'DENY' }).end(explorerPage);
  }

  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (!this.#authorized(req)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    this.#ws.handleUpgrade(req, socket, head, (ws) => {
      ws.send(this.#snapshot);
      ws.on('message', (data) => void this.#message(ws, data.toString()));
    });
  }

  /** A page's request: `{type: 'explain', entry}`. */
  async #message(ws: WebSocket, text: string): Promise<void> {
    let entry = '';
    try {
      const m = JSON.parse(text) as { type?: string; entry?: string };
      if (m.type !== 'explain' || typeof m.entry !== 'string' || m.entry.length > 256) throw new IOReturnError(kIOReturnBadArgument, 'the page may ask only {type: "explain", entry}');
      entry = m.entry;
      const reply = await this.#connection!.ask({ op: 'explain', entry });
      ws.send(JSON.stringify({ type: 'explanation', entry, text: (reply.getObject('text') as OSString).getCStringNoCopy() }));
    } catch (e) {
      ws.send(JSON.stringify({ type: 'explanation', entry, text: `(${(e as Error).message})` }));
    }
  }

  /** Reads the host; when anything changed, every page gets the new snapshot. */
  async #poll(): Promise<void> {
    let registry: OSDictionary;
    let activity: OSDictionary;
    try {
      if (!this.#connection || this.#connection.isClosed()) this.#connection = await IOHostConnection.connect(this.socketPath);
      registry = (await this.#connection.ask({ op: 'registry' })).getObject('registry') as OSDictionary;
      activity = (await this.#connection.ask({ op: 'activity' })).getObject('activity') as OSDictionary;
      this.#error = null;
    } catch (e) {
      // The host went away (or is restarting): say so on the page, and keep trying.
      const error = (e as Error).message;
      if (error !== this.#error) this.#publish({ type: 'snapshot', error, registry: null, drivers: [], refusals: [], rates: [] });
      this.#error = error;
      this.#connection?.close();
      this.#connection = null;
      return;
    }
    const a = fromOSObject(activity) as { drivers: unknown[]; refusals: unknown[]; counters: Array<{ kind: string; name: string; count: number }> };
    this.#sample(a.counters);
    this.#publish({ type: 'snapshot', error: null, registry: toExplorerEntry(registry), drivers: a.drivers, refusals: a.refusals, rates: [...this.#series.values()].map(({ kind, name, total, rates }) => ({ kind, name, total, rates })) });
  }

  /** Once a second: each counter's rate since the last sample. */
  #sample(counters: Array<{ kind: string; name: string; count: number }>): void {
    const now = Date.now();
    if (now - this.#sampledAt < 1000) return;
    const seconds = this.#sampledAt ? (now - this.#sampledAt) / 1000 : 1;
    this.#sampledAt = now;
    for (const c of counters) {
      const key = `${c.kind}\u0000${c.name}`;
      const s = this.#series.get(key) ?? { kind: c.kind, name: c.name, total: c.count, rates: [], at: c.count };
      s.rates.push(Math.max(0, (c.count - s.at) / seconds));
      if (s.rates.length > kHistory) s.rates.shift();
      s.at = c.count;
      s.total = c.count;
      this.#series.set(key, s);
    }
  }

  #publish(snapshot: Record<string, unknown>): void {
    const text = JSON.stringify(snapshot);
    if (text === this.#last) return;
    this.#last = text;
    this.#snapshot = text;
    for (const c of this.#ws.clients) if (c.readyState === WebSocket.OPEN) c.send(text);
  }
}
