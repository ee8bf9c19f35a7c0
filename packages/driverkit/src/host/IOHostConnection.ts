import { createConnection } from 'node:net';
import { IOReturnError, ioReturnFromException } from '../IOReturn/IOReturnError';
import { kIOReturnNotFound, kIOReturnNotPermitted } from '../IOReturn/IOReturn';
import { kIOHostClientProtocol, type IOHostRequest, type IOHostRequestOp } from '../ipc/IOHostClientProtocol';
import { IOMessageChannel } from '../ipc/IOMessageChannel';
import { IORequestTracker, requestMessage } from '../ipc/IORequestTracker';
import { OSDictionary } from '../os/OSDictionary';
import type { OSObject } from '../os/OSObject';
import { IOUserClientCallFrame } from '../userclient/IOUserClientCallFrame';
import { defaultHostSocketPath } from './IOHostSocket';

const REQUEST_TIMEOUT_MS = 30_000;

/** A connection to a running host's socket: the CLI's and (later) apps' way in. */
export class IOHostConnection {
  readonly #channel: IOMessageChannel;
  readonly #requests = new IORequestTracker();
  /** Calls sent as call frames, waiting for their reply frames. */
  readonly #calls = new IORequestTracker<Buffer>();

  private constructor(channel: IOMessageChannel) {
    this.#channel = channel;
    channel.onMessage = (m) => {
      if (!this.#requests.settle(m)) this.onEvent(m);
    };
    channel.onFrame = (body) => {
      const rid = IOUserClientCallFrame.replyID(body);
      if (rid !== null) this.#calls.resolve(rid, body);
    };
    channel.onClose = () => {
      this.#requests.failAll('the host closed the connection');
      this.#calls.failAll('its connection closed before its reply');
      this.onClose();
    };
  }

  /** Connects; when no host listens, the error says where it looked and how to start one. */
  static connect(path: string = defaultHostSocketPath()): Promise<IOHostConnection> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(path);
      socket.once('connect', () => resolve(new IOHostConnection(new IOMessageChannel(socket))));
      socket.once('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'EACCES') reject(new IOReturnError(kIOReturnNotPermitted, `cannot connect to the driverkit host at ${path}: permission denied (the socket is mode 0660; join its group)`));
        else reject(new IOReturnError(kIOReturnNotFound, `no driverkit host is running at ${path} (${e.code}); start one with \`driverkit run\``));
      });
    });
  }

  /** Called with every message the host sends unasked (notifications, async completions). */
  onEvent: (message: OSDictionary) => void = () => {};
  /** Called once when the connection to the host ends. */
  onClose: () => void = () => {};

  /**
   * Sends `op` with `fields` and resolves with the reply, or rejects with its kIOReturn code; a `raw`
   * request resolves whatever the status.
   */
  request(op: string, fields: OSDictionary | Record<string, OSObject | string | number | bigint> = {}, raw = false): Promise<OSDictionary> {
    // Build the frame before registering the request, so a bad field leaves nothing pending.
    const m = fields instanceof OSDictionary ? OSDictionary.withDictionary(fields) : requestMessage(op, 0, fields);
    m.setObject('op', op);
    const { rid, reply } = this.#requests.begin(op, REQUEST_TIMEOUT_MS, raw);
    m.setObject('rid', rid);
    try {
      this.#channel.send(m);
    } catch (e) {
      this.#requests.settle(requestMessage('reply', rid, { status: ioReturnFromException(e), message: (e as Error).message }));
    } finally {
      m.release();
    }
    return reply;
  }

  /**
   * Sends a user-client call frame (`encode` is given its request id) and resolves with the reply frame.
   * No timer: like IOConnectCallMethod, a call waits for the driver's answer, or for the connection to go.
   */
  requestFrame(encode: (rid: number) => Uint8Array): Promise<Buffer> {
    const { rid, reply } = this.#calls.begin('the call', 0, true);
    try {
      this.#channel.sendFrame(encode(rid));
    } catch (e) {
      this.#calls.fail(rid, e as Error);
    }
    return reply;
  }

  /**
   * Sends one of the host protocol's requests, written through its schema ({@link IOHostClientProtocol}):
   * the request's fields are typed by its op. Resolves with the reply, or rejects with its kIOReturn code.
   */
  ask<Op extends IOHostRequestOp>(request: IOHostRequest<Op>): Promise<OSDictionary> {
    const m = kIOHostClientProtocol.encode(request);
    try {
      return this.request(request.op, m);
    } finally {
      m.release();
    }
  }

  /** Sends a message that needs no reply. */
  post(message: OSDictionary): void {
    this.#channel.send(message);
  }

  isClosed(): boolean {
    return this.#channel.isClosed();
  }

  close(): void {
    this.#channel.close();
  }
}
