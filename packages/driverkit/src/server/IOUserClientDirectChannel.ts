import type { Socket } from 'node:net';
import { IOReturnError, errorReason, ioReturnFromException } from '../IOReturn/IOReturnError';
import { kIOReturnNoResources, kIOReturnUnsupported } from '../IOReturn/IOReturn';
import { kIOHostEventProtocol } from '../ipc/IOHostClientProtocol';
import { IOMessageChannel } from '../ipc/IOMessageChannel';
import { messageString } from '../ipc/IOMessageFields';
import { OSDictionary } from '../os/OSDictionary';
import { OSNumber } from '../os/OSNumber';
import type { IOUserClient } from '../userclient/IOUserClient';
import type { IOUserClientCallResult } from '../userclient/IOUserClientCall';
import { IOUserClientCallFrame } from '../userclient/IOUserClientCallFrame';
import { IOUserClientRunner } from '../userclient/IOUserClientRunner';

/** How many calls one app may have outstanding on its own channel, as on the host's socket. */
export const kIOUserClientDirectMaxInFlight = 256;

/**
 * One app's own connection to a user client of this driver process: the socket the app opened to the
 * host, handed over by the host once it admitted the app (IOServiceOpen's entitlement checks, the
 * opener's pid and uid, a one-time token). ExternalMethod calls and their async completions then go
 * app ↔ driver without the host's hop, as IOConnectCallMethod goes straight to the dext's user client
 * on macOS once the kernel has made the connection. Calls and replies are {@link IOUserClientCallFrame}s,
 * not dictionaries. The app is not trusted: every frame is read as hostile (one that cannot be read
 * closes this channel), and the frame layout has no way to name shared memory (the host grants memory,
 * so those calls go through it). Closing the user client, or the process exiting, closes the channel;
 * the app's next call then goes to the host, which answers for a closed user client.
 * @internal
 */
export class IOUserClientDirectChannel {
  readonly #channel: IOMessageChannel;
  #inFlight = 0;
  /** Calls served since the host was last told (it counts them for `driverkit explore`). */
  served = 0;

  constructor(
    readonly userClient: IOUserClient,
    socket: Socket,
    attachRid: number,
    onClose: () => void,
  ) {
    this.#channel = new IOMessageChannel(socket);
    this.#channel.onMessage = (m) => this.#refuse(m);
    this.#channel.onFrame = (body) => void this.#serve(body);
    this.#channel.onClose = () => onClose();
    socket.resume();
    // The answer to the app's `attach`: from here on, its requests are this process's to answer.
    this.#reply(OSNumber.withNumber(attachRid, 32), OSDictionary.withCapacity(3));
  }

  close(): void {
    this.#channel.close();
  }

  /** A dictionary after the attach: this channel takes call frames only. */
  #refuse(m: OSDictionary): void {
    const rid = m.getObject('rid');
    const reply = OSDictionary.withCapacity(4);
    reply.setObject('status', OSNumber.withNumber(kIOReturnUnsupported, 32));
    reply.setObject('message', `unknown request "${messageString(m, 'op') ?? '?'}" (a user client's own connection takes call frames only)`);
    this.#reply(rid instanceof OSNumber ? rid : OSNumber.withNumber(0, 32), reply);
  }

  async #serve(body: Buffer): Promise<void> {
    // A frame without a call's header has no request id to answer: the app broke the protocol, and only its channel goes.
    const rid = IOUserClientCallFrame.callID(body);
    if (rid === null) {
      process.stderr.write(`user client ${this.userClient.getName()}: a frame of ${body.length} bytes is not a call; closing its connection\n`);
      this.close();
      return;
    }
    let result: Pick<IOUserClientCallResult, 'status' | 'message' | 'scalarOutput' | 'structureOutput'>;
    this.#inFlight++;
    try {
      if (this.#inFlight > kIOUserClientDirectMaxInFlight) throw new IOReturnError(kIOReturnNoResources, `more than ${kIOUserClientDirectMaxInFlight} calls outstanding on one connection`);
      const { call, asyncCall } = IOUserClientCallFrame.decodeCall(body);
      const sink = asyncCall !== null ? (status: number, data: bigint[]) => this.#complete(asyncCall, status, data) : null;
      this.served++;
      result = await IOUserClientRunner.call(this.userClient, call, sink);
    } catch (e) {
      result = { status: ioReturnFromException(e), message: errorReason(e), scalarOutput: [], structureOutput: null };
    } finally {
      this.#inFlight--;
    }
    if (!this.#channel.isClosed()) this.#channel.sendFrame(IOUserClientCallFrame.encodeReply(rid, result));
  }

  #reply(rid: OSNumber, reply: OSDictionary): void {
    reply.setObject('op', 'reply');
    reply.setObject('rid', rid);
    if (!reply.getObject('status')) reply.setObject('status', OSNumber.withNumber(0, 32));
    if (!this.#channel.isClosed()) this.#channel.send(reply);
    reply.release();
  }

  #complete(asyncCall: number, status: number, data: bigint[]): void {
    if (this.#channel.isClosed()) return;
    const note = kIOHostEventProtocol.encode({ op: 'completion', asyncCall, status: status >>> 0, data });
    this.#channel.send(note);
    note.release();
  }
}
