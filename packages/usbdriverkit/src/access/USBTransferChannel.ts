import { IODataQueueBacklog, IODataQueueDispatchSource, IODispatchQueue, IOReturnError, OSAction, OSObject, kIOReturnAborted, kIOReturnNotOpen } from '@driverkit/driverkit';
import type { USBSetupPacket, USBTransferResult } from '../backend/USBBackend';
import type { USBScope } from './USBAccess';
import { kUSBTransferQueueBytes, kUSBTransferRefused, readCompletion, requestSize, writeControlRequest, writeRequest } from './USBTransferRecords';

const decoder = new TextDecoder();

interface Pending {
  isIn: boolean;
  resolve: (r: USBTransferResult) => void;
  reject: (e: Error) => void;
}

/**
 * A driver process's end of a transfer channel to its device (architecture.md: bulk data moves
 * through shared memory, not the host socket): bulk, interrupt and control transfers. The process makes two data queues, requests and
 * completions, in its own shared memory and hands their names to the nub once; each bulk or interrupt
 * transfer is then a record in one queue and a record back in the other, with a wake (the data queue's bell) only when
 * a queue goes from empty to not empty. The host runs every transfer on its device session as this
 * client, so Apple's rules (Open first, endpoints of the current setting) hold as before.
 */
export class USBTransferChannel extends OSObject {
  readonly #queue = IODispatchQueue.Create('USBTransferChannel');
  readonly #requests = IODataQueueDispatchSource.Create(kUSBTransferQueueBytes, this.#queue, 'process');
  readonly #completions = IODataQueueDispatchSource.Create(kUSBTransferQueueBytes, this.#queue, 'process');
  readonly #pending = new Map<number, Pending>();
  /** Requests that found the queue full, with what Abort picks them by (null: a control request). */
  readonly #backlog = new IODataQueueBacklog<{ record: Uint8Array; tag: number; endpoint: number | null }>(this.#requests, () => {});
  #nextTag = 0;
  #closed = false;
  readonly #read = (record: Uint8Array) => this.#complete(record);

  constructor() {
    super();
    this.#completions.SetDataAvailableHandler(OSAction.Create(this, 'DataAvailable'));
  }

  /** The names the host attaches: requests, then completions. */
  get names(): { requests: string; completions: string } {
    const name = (s: IODataQueueDispatchSource) => {
      const md = s.CopyMemory();
      try {
        return md.sharedMemory.name!;
      } finally {
        md.release();
      }
    };
    return { requests: name(this.#requests), completions: name(this.#completions) };
  }

  /** One bulk or interrupt transfer; resolves with its outcome as the call path would. */
  io(endpoint: number, dataOut: Uint8Array | null, lengthIn: number, timeoutMs: number): Promise<USBTransferResult> {
    if (this.#closed) return Promise.reject(new IOReturnError(kIOReturnNotOpen, `the transfer channel for endpoint 0x${endpoint.toString(16)} is closed`));
    const tag = this.#tag();
    const record = new Uint8Array(requestSize(dataOut, false));
    writeRequest(record, tag, endpoint, lengthIn, timeoutMs, dataOut);
    return this.#send(tag, endpoint, (endpoint & 0x80) !== 0, record);
  }

  /** One control transfer (DeviceRequest) in `scope`; resolves with its outcome as the call path would. */
  control(scope: USBScope, setup: USBSetupPacket, dataOut: Uint8Array | null, timeoutMs: number): Promise<USBTransferResult> {
    if (this.#closed) return Promise.reject(new IOReturnError(kIOReturnNotOpen, 'the transfer channel for control requests is closed'));
    const tag = this.#tag();
    const record = new Uint8Array(requestSize(dataOut, true));
    writeControlRequest(record, tag, scope, setup, timeoutMs, dataOut);
    return this.#send(tag, null, (setup.bmRequestType & 0x80) !== 0, record);
  }

  #tag(): number {
    this.#nextTag = (this.#nextTag + 1) >>> 0 || 1;
    return this.#nextTag;
  }

  #send(tag: number, endpoint: number | null, isIn: boolean, record: Uint8Array): Promise<USBTransferResult> {
    const done = new Promise<USBTransferResult>((resolve, reject) => this.#pending.set(tag, { isIn, resolve, reject }));
    this.#backlog.send({ record, tag, endpoint });
    return done;
  }

  /**
   * Ends with `status` the transfers still waiting here for room in the request queue, which the host
   * has not seen: those on `which` endpoint, the control requests (null), every pipe's ('pipes') or all.
   * Called before an Abort, a SelectAlternateSetting or a Close goes to the host, so that it acts on
   * everything submitted before it, as in one process.
   */
  abortWaiting(which: number | null | 'pipes' | 'all', status = kIOReturnAborted): void {
    const match = (e: { endpoint: number | null }) => (which === 'all' ? true : which === 'pipes' ? e.endpoint !== null : e.endpoint === which);
    for (const { tag } of this.#backlog.drop(match)) {
      this.#pending.get(tag)?.resolve({ status, length: 0, data: null });
      this.#pending.delete(tag);
    }
  }

  /** The completion queue's DataAvailable. @internal (an OSAction target) */
  DataAvailable(_action: OSAction): void {
    this.drain();
  }

  /**
   * Takes every completion now in the queue. Called after the host answers an Abort or Close: the
   * host wrote the aborted transfers' completions before its answer, so they end before it returns.
   */
  drain(): void {
    this.#completions.DequeueAll(this.#read);
  }

  #complete(record: Uint8Array): void {
    const c = readCompletion(record);
    const p = c && this.#pending.get(c.tag);
    if (!c || !p) return;
    this.#pending.delete(c.tag);
    if (c.flags & kUSBTransferRefused) p.reject(new IOReturnError(c.status, decoder.decode(c.data)));
    // IN bytes leave the queue with this record: the driver keeps a copy.
    else p.resolve({ status: c.status, length: c.length, data: p.isIn ? c.data.slice() : null });
  }

  /** Ends the channel: transfers still unanswered end with kIOReturnAborted; the queues' memory goes. */
  close(): void {
    if (this.#closed) return;
    this.drain();
    this.#closed = true;
    for (const s of [this.#requests, this.#completions]) {
      s.Cancel();
      s.release();
    }
    this.#queue.Cancel();
    for (const p of this.#pending.values()) p.resolve({ status: kIOReturnAborted, length: 0, data: null });
    this.#pending.clear();
    this.#backlog.clear();
  }
}
