import { Socket } from 'node:net';
import type { IOUserClient } from '../userclient/IOUserClient';
import { IOUserClientDirectChannel } from './IOUserClientDirectChannel';

/** How often a driver process tells the host how many calls came on apps' own channels. */
const COUNT_REPORT_MS = 250;

/**
 * A driver process's side of apps' own user-client channels: takes the sockets the host hands over
 * (over the process's IPC channel, the one way Node passes a descriptor), serves each through an
 * {@link IOUserClientDirectChannel}, closes them with their user client, and reports the calls they
 * served to the host, which counts them with those that came through it.
 * @internal
 */
export class IOUserClientDirectServer {
  readonly #channels = new Map<string, Set<IOUserClientDirectChannel>>();
  #timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly userClientOf: (key: string) => IOUserClient | undefined,
    private readonly report: (userClient: string, count: number) => void,
  ) {}

  /** Listens for hand-overs on this process's IPC channel, if it has one, without it keeping the process alive. */
  listen(): void {
    if (!process.send) return;
    process.on('message', (message, handle) => this.accept(message, handle));
    process.channel?.unref();
  }

  /** One hand-over from the host: `{ op: 'directUserClient', userClient, rid }` and the app's socket. */
  accept(message: unknown, handle: unknown): void {
    const m = (message ?? {}) as { op?: unknown; userClient?: unknown; rid?: unknown };
    const key = typeof m.userClient === 'string' ? m.userClient : '';
    const userClient = this.userClientOf(key);
    if (m.op !== 'directUserClient' || typeof m.rid !== 'number' || !userClient || !(handle instanceof Socket)) {
      // A user client closed while its socket was on the way: the app sees the close and calls through the host.
      if (handle instanceof Socket) handle.destroy();
      return;
    }
    let set = this.#channels.get(key);
    if (!set) this.#channels.set(key, (set = new Set()));
    const channels = set;
    const channel = new IOUserClientDirectChannel(userClient, handle, m.rid, () => {
      this.#flush(key, channel);
      channels.delete(channel);
      if (!channels.size) this.#channels.delete(key);
    });
    channels.add(channel);
    this.#timer ??= setInterval(() => this.#flushAll(), COUNT_REPORT_MS).unref();
  }

  /** The user client `key` closed: so do its apps' channels. */
  closeFor(key: string): void {
    for (const c of [...(this.#channels.get(key) ?? [])]) c.close();
  }

  closeAll(): void {
    for (const key of [...this.#channels.keys()]) this.closeFor(key);
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  #flush(key: string, channel: IOUserClientDirectChannel): void {
    if (channel.served) this.report(key, channel.served);
    channel.served = 0;
  }

  #flushAll(): void {
    for (const [key, set] of this.#channels) for (const c of set) this.#flush(key, c);
  }
}
