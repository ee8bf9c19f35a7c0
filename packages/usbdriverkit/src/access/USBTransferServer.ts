import { IODataQueueBacklog, IODataQueueDispatchSource, IODispatchQueue, IOReturnError, OSAction, OSObject, callerProcess, kIOReturnBadArgument, kIOReturnNoResources, kIOReturnNotPermitted, type IORemoteCaller } from '@driverkit/driverkit';
import type { USBAccess } from './USBAccess';
import {
  kUSBTransferChannelMaxBytes,
  kUSBTransferCompletionHeader,
  kUSBTransferMaxInFlight,
  kUSBTransferMaxInFlightBytes,
  kUSBTransferRefused,
  kUSBTransferBulkOrInterrupt,
  kUSBTransferControl,
  readRequest,
  writeCompletion,
  type USBTransferRequest,
} from './USBTransferRecords';

const encoder = new TextEncoder();
// The key control transfers are settled under (endpoints are 0–255).
const CONTROL = -1;

/** A request as a refusal names it: built only for a refusal (a string per accepted transfer cost more than the checks). */
const what = (r: USBTransferRequest): string => (r.setup ? `USB transfer channel: control transfer ${r.tag}` : `USB transfer channel: transfer ${r.tag} on endpoint 0x${r.endpoint.toString(16)}`);

/**
 * The host's end of one driver client's transfer channel: it takes bulk and interrupt transfers from
 * the request queue a driver process made, runs each on the device session as that client (so every
 * check the call path makes still holds: the interface must be open, the endpoint in its current
 * setting), and writes the outcome into the completion queue. Nothing in the queues is trusted:
 * a record that is not a transfer, a tag already in flight, a length past the channel's limit or too
 * much in flight is refused in its completion, by name, and the session never sees it.
 */
export class USBTransferServer extends OSObject {
  readonly #queue: IODispatchQueue;
  readonly #requests: IODataQueueDispatchSource;
  readonly #completions: IODataQueueDispatchSource;
  /** Tag → endpoint (or CONTROL) of every transfer whose completion is not yet in the queue. */
  readonly #unposted = new Map<number, number>();
  #inFlightBytes = 0;
  readonly #backlog: IODataQueueBacklog<{ tag: number | null; record: Uint8Array }>;
  #settleWaiters: Array<{ which: number | 'control' | null; resolve: () => void }> = [];
  #closed = false;
  readonly #read = (record: Uint8Array) => this.#serve(record);

  private constructor(
    readonly access: USBAccess,
    readonly client: string,
    queue: IODispatchQueue,
    requests: IODataQueueDispatchSource,
    completions: IODataQueueDispatchSource,
  ) {
    super();
    this.#queue = queue;
    this.#requests = requests;
    this.#completions = completions;
    this.#backlog = new IODataQueueBacklog(completions, ({ tag }) => this.#posted(tag));
    this.#requests.SetDataAvailableHandler(OSAction.Create(this, 'DataAvailable'));
  }

  /** Attaches the two queues `caller` made (they must be its own: `IOSharedMemory.attach`'s `owner`) and serves them as `client`. */
  static open(access: USBAccess, client: string, requestsName: string, completionsName: string, caller: IORemoteCaller): USBTransferServer {
    const owner = callerProcess(caller);
    if (!owner) throw new IOReturnError(kIOReturnNotPermitted, 'USB transfer channel: only a driver process may open one');
    const queue = IODispatchQueue.Create('USBTransferServer');
    const sources: IODataQueueDispatchSource[] = [];
    try {
      for (const name of [requestsName, completionsName]) sources.push(IODataQueueDispatchSource.attachByName(name, queue, owner));
      return new USBTransferServer(access, client, queue, sources[0]!, sources[1]!);
    } catch (e) {
      for (const s of sources) {
        s.Cancel();
        s.release();
      }
      queue.Cancel();
      throw e;
    }
  }

  /** The request queue's DataAvailable: start every transfer in it. @internal (an OSAction target) */
  DataAvailable(_action: OSAction): void {
    this.serveQueued();
  }

  /**
   * Starts every transfer the driver has queued. A call that must see the transfers before it (an Abort,
   * a Close, a SelectAlternateSetting) runs this first: the driver queued them before it sent the call,
   * but the call's frame can reach the host before the queue's wake does.
   */
  serveQueued(): void {
    this.#requests.DequeueAll(this.#read);
  }

  #serve(record: Uint8Array): void {
    const request = readRequest(record);
    if (!request) return; // Too short to carry a tag: nothing to answer.
    const refusal = this.#refusal(request);
    if (refusal) {
      this.#post(request.tag, refusal.code, 0, kUSBTransferRefused, encoder.encode(refusal.message), false);
      return;
    }
    const { tag, timeoutMs, setup } = request;
    const control = setup !== null;
    const isIn = control ? (setup.bmRequestType & 0x80) !== 0 : (request.endpoint & 0x80) !== 0;
    const lengthIn = control ? (isIn ? setup.wLength : 0) : request.lengthIn;
    // The record's bytes go back to the driver's ring with the next dequeue: the transfer keeps a copy.
    const dataOut = isIn ? null : request.dataOut.slice();
    const bytes = lengthIn + (dataOut?.length ?? 0);
    this.#unposted.set(tag, control ? CONTROL : request.endpoint);
    this.#inFlightBytes += bytes;
    const transfer = control ? this.access.control(this.client, request.scope, setup, dataOut, timeoutMs) : this.access.io(this.client, request.endpoint, dataOut, lengthIn, timeoutMs);
    transfer.then(
      (r) => this.#finish(tag, bytes, r.status, r.length, 0, r.data && r.data.length > lengthIn ? r.data.subarray(0, lengthIn) : r.data),
      (e: unknown) => this.#finish(tag, bytes, e instanceof IOReturnError ? e.code : kIOReturnBadArgument, 0, kUSBTransferRefused, encoder.encode((e as Error).message)),
    );
  }

  #finish(tag: number, bytes: number, status: number, length: number, flags: number, data: Uint8Array | null): void {
    this.#inFlightBytes -= bytes;
    this.#post(tag, status, length, flags, data, true);
  }

  #refusal(r: USBTransferRequest): IOReturnError | null {
    if (r.kind !== kUSBTransferBulkOrInterrupt && r.kind !== kUSBTransferControl) return new IOReturnError(kIOReturnBadArgument, `${what(r)} is of no kind a channel carries (${r.kind})`);
    if (this.#unposted.has(r.tag)) return new IOReturnError(kIOReturnBadArgument, `${what(r)} reuses a tag still in flight`);
    let bytes: number;
    if (r.setup) {
      const isIn = (r.setup.bmRequestType & 0x80) !== 0;
      if (r.endpoint !== 0 || r.lengthIn !== 0) return new IOReturnError(kIOReturnBadArgument, `${what(r)}: a control transfer names no endpoint and no IN length (wLength says)`);
      if (isIn ? r.dataOut.length !== 0 : r.dataOut.length !== r.setup.wLength) return new IOReturnError(kIOReturnBadArgument, `${what(r)}: wLength ${r.setup.wLength} does not match the ${isIn ? 'IN' : 'OUT'} data (${r.dataOut.length} bytes)`);
      bytes = r.setup.wLength;
    } else {
      const isIn = (r.endpoint & 0x80) !== 0;
      if (isIn ? r.dataOut.length !== 0 : r.lengthIn !== 0) return new IOReturnError(kIOReturnBadArgument, `${what(r)}: ${isIn ? 'an IN transfer carries no OUT bytes' : 'an OUT transfer asks for no IN bytes'}`);
      bytes = isIn ? r.lengthIn : r.dataOut.length;
    }
    if (bytes > kUSBTransferChannelMaxBytes) return new IOReturnError(kIOReturnBadArgument, `${what(r)}: ${bytes} bytes is over the channel's ${kUSBTransferChannelMaxBytes}-byte limit`);
    if (this.#unposted.size >= kUSBTransferMaxInFlight || this.#inFlightBytes + bytes > kUSBTransferMaxInFlightBytes) {
      return new IOReturnError(kIOReturnNoResources, `${what(r)}: ${this.#unposted.size} transfers (${this.#inFlightBytes} bytes) are already in flight`);
    }
    return null;
  }

  /** Writes a completion; `tracked` ones (started transfers, in #unposted) count as posted once in the queue. */
  #post(tag: number, status: number, length: number, flags: number, data: Uint8Array | null, tracked: boolean): void {
    if (this.#closed) return;
    const record = new Uint8Array(kUSBTransferCompletionHeader + (data?.length ?? 0));
    writeCompletion(record, tag, status, length, flags, data);
    this.#backlog.send({ tag: tracked ? tag : null, record });
  }

  #posted(tag: number | null): void {
    if (tag === null) return;
    this.#unposted.delete(tag);
    if (this.#settleWaiters.length === 0) return;
    const waiting = this.#settleWaiters;
    this.#settleWaiters = waiting.filter((w) => this.#pendingOn(w.which));
    for (const w of waiting) if (!this.#pendingOn(w.which)) w.resolve();
  }

  #pendingOn(which: number | 'control' | null): boolean {
    if (which === null) return this.#unposted.size > 0;
    const key = which === 'control' ? CONTROL : which;
    for (const k of this.#unposted.values()) if (k === key) return true;
    return false;
  }

  /**
   * Resolves once every transfer on endpoint `which` (`'control'`: every control transfer; null: every
   * transfer) has its completion in the queue: an Abort's reply goes out after the aborted transfers'
   * completions, as in one process.
   */
  whenSettled(which: number | 'control' | null): Promise<void> {
    if (!this.#pendingOn(which) || this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#settleWaiters.push({ which, resolve }));
  }

  /** Stops serving and unmaps the queues; transfers still running end unheard (their client is gone). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const s of [this.#requests, this.#completions]) {
      s.Cancel();
      s.release();
    }
    this.#queue.Cancel();
    for (const w of this.#settleWaiters) w.resolve();
    this.#settleWaiters = [];
    this.#backlog.clear();
  }
}
