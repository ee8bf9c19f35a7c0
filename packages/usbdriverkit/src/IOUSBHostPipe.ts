import { IOReturnError, OSObject, kIOReturnAborted, kIOReturnBadArgument, kIOReturnBusy, kIOReturnIsoTooNew, kIOReturnIsoTooOld, kIOReturnNotReady, kIOReturnSuccess, kIOReturnUnsupported, mach_absolute_time, type IOMemoryDescriptor, type OSAction } from '@driverkit/driverkit';
import type { USBAccess } from './access/USBAccess';
import type { USBTransferResult } from './backend/USBBackend';
import type { IOUSBEndpointDescriptor, IOUSBSuperSpeedEndpointCompanionDescriptor } from './descriptors/USBDescriptors';
import { IOUSBGetEndpointBurstSize, IOUSBGetEndpointDirection, IOUSBGetEndpointMaxPacketSize, IOUSBGetEndpointMult } from './descriptors/USBEndpoint';
import { kIOUSBEndpointDirectionIn, kIOUSBHostConnectionSpeedHigh } from './descriptors/USBConstants';

/** How far ahead an isochronous request may start (frames), as IOUSBHostFamily allows. */
export const kIOUSBHostIsochronousFramesAhead = 1000n;
import { IOUSBHostIOError } from './IOUSBHostIOError';

/** The status a transfer that failed to run ends with: its own kIOReturn code, or aborted. */
const statusOf = (e: unknown): number => (e instanceof IOReturnError ? e.code : kIOReturnAborted);

/** Mirrors `kIOUSBHostPipeBundlingMax`: the most transfers one AsyncIOBundled call takes. */
export const kIOUSBHostPipeBundlingMax = 16;
/** The largest memory descriptor ring a pipe may have. */
export const kIOUSBHostPipeMaxRingSize = 1024;

/** One entry of an isochronous frame list (Apple's IOUSBIsochronousFrame). */
export interface IOUSBIsochronousFrame {
  /** kIOReturn status of this frame, filled in on completion. */
  status: number;
  /** Bytes requested for this frame. */
  requestCount: number;
  /** Bytes moved, filled in on completion. */
  completeCount: number;
  /** Completion time (mach_absolute_time units), filled in on completion. */
  timeStamp: bigint;
}

/** What IOUSBHostPipe::GetDescriptors returns (Apple's IOUSBStandardEndpointDescriptors). */
export interface IOUSBStandardEndpointDescriptors {
  descriptor: IOUSBEndpointDescriptor;
  ssCompanionDescriptor: IOUSBSuperSpeedEndpointCompanionDescriptor | null;
}

/**
 * Mirrors `IOUSBHostPipe`: one endpoint of an open interface. `IO` waits for the transfer; `AsyncIO`
 * completes through an OSAction with (status, actualByteCount, completionTimestamp) as
 * `CompleteAsyncIO` does. Stall, timeout, abort and unplug reach the completion with their codes
 * (kUSBHostReturnPipeStalled, kIOReturnTimeout, kIOReturnAborted, kIOReturnNoDevice).
 */
export class IOUSBHostPipe extends OSObject {
  #idlePolicy = 0;
  #descriptors: IOUSBStandardEndpointDescriptors;
  /** The endpoint's descriptors as the device declared them, the limit AdjustPipe works within. */
  #declared: IOUSBStandardEndpointDescriptors | null = null;
  /** The descriptor ring of bundled I/O, and which of its elements are in flight. */
  #ring: Array<IOMemoryDescriptor | null> = [];
  #inFlight: boolean[] = [];

  /** @internal Made by IOUSBHostInterface.CopyPipe. */
  constructor(
    readonly access: USBAccess,
    readonly client: string,
    descriptors: IOUSBStandardEndpointDescriptors,
    readonly speed: number,
    readonly deviceAddress: number,
  ) {
    super();
    this.#descriptors = descriptors;
  }

  /** The endpoint's descriptors as the pipe uses them now (AdjustPipe changes them). */
  get descriptors(): IOUSBStandardEndpointDescriptors {
    return this.#descriptors;
  }

  get endpointAddress(): number {
    return this.descriptors.descriptor.bEndpointAddress;
  }

  #isIn(): boolean {
    return IOUSBGetEndpointDirection(this.descriptors.descriptor) === kIOUSBEndpointDirectionIn;
  }

  #check(buffer: IOMemoryDescriptor | null, length: number, what: string): void {
    if (!Number.isInteger(length) || length < 0) throw new IOReturnError(kIOReturnBadArgument, `${what}: length ${length} is not a byte count`);
    if (length > 0 && !buffer) throw new IOReturnError(kIOReturnBadArgument, `${what}: ${length} bytes but no buffer`);
    if (buffer && BigInt(length) > buffer.GetLength()) throw new IOReturnError(kIOReturnBadArgument, `${what}: length ${length} is larger than the ${buffer.GetLength()}-byte buffer`);
  }

  /** Starts a transfer: an OUT's bytes are read from `buffer` now, an IN's land through {@link #land}. */
  #submit(buffer: IOMemoryDescriptor | null, length: number, timeoutMs: number): Promise<USBTransferResult> {
    const isIn = this.#isIn();
    return this.access.io(this.client, this.endpointAddress, isIn ? null : length > 0 ? buffer!.readBytes(0, length) : new Uint8Array(0), isIn ? length : 0, timeoutMs);
  }

  /** An IN transfer's bytes into the caller's buffer. */
  #land(buffer: IOMemoryDescriptor | null, r: USBTransferResult): void {
    if (r.data && buffer && r.data.length > 0 && this.#isIn()) buffer.writeBytes(0, r.data);
  }

  async #transfer(buffer: IOMemoryDescriptor | null, length: number, timeoutMs: number): Promise<{ status: number; length: number }> {
    const r = await this.#submit(buffer, length, timeoutMs);
    this.#land(buffer, r);
    return r;
  }

  /**
   * Mirrors `IO(dataBuffer, dataBufferLength, &bytesTransferred, completionTimeoutMs)`: resolves with
   * bytesTransferred. A transfer that ends with an error status (a stall, a babble, a timeout) throws an
   * {@link IOUSBHostIOError} carrying the status and the bytes moved before it.
   */
  async IO(dataBuffer: IOMemoryDescriptor | null, dataBufferLength: number, completionTimeoutMs = 0): Promise<number> {
    this.#check(dataBuffer, dataBufferLength, 'IO');
    const r = await this.#transfer(dataBuffer, dataBufferLength, completionTimeoutMs);
    if (r.status !== kIOReturnSuccess) throw new IOUSBHostIOError(r.status, `IO on endpoint 0x${this.endpointAddress.toString(16)} ended after ${r.length} bytes`, r.length);
    return r.length;
  }

  /**
   * Mirrors `AsyncIO(dataBuffer, dataBufferLength, completion, completionTimeoutMs)`. The completion
   * runs `(action, status, actualByteCount, completionTimestamp)` on its target's queue.
   */
  AsyncIO(dataBuffer: IOMemoryDescriptor | null, dataBufferLength: number, completion: OSAction, completionTimeoutMs = 0): void {
    this.#check(dataBuffer, dataBufferLength, 'AsyncIO');
    completion.retain();
    // One promise per transfer beyond the backend's own, settled by one handler: each promise is paid
    // for under the dispatch queues' hooks. The handlers are methods, not closures made per call.
    let io: Promise<USBTransferResult>;
    try {
      io = this.#submit(dataBuffer, dataBufferLength, completionTimeoutMs);
    } catch (e) {
      io = Promise.reject(e);
    }
    io.then(
      (r) => this.#landAndComplete(completion, dataBuffer, r),
      (e) => this.#complete(completion, statusOf(e), 0),
    );
  }

  #landAndComplete(completion: OSAction, buffer: IOMemoryDescriptor | null, r: USBTransferResult): void {
    try {
      this.#land(buffer, r);
    } catch (e) {
      return this.#complete(completion, statusOf(e), 0);
    }
    this.#complete(completion, r.status, r.length);
  }

  #complete(completion: OSAction, status: number, length: number): void {
    try {
      completion.Invoke(status, length, mach_absolute_time());
    } finally {
      completion.release();
    }
  }

  /**
   * Mirrors `CreateMemoryDescriptorRing(size)`: the ring of buffers bundled I/O transfers into and out
   * of. Replacing a ring while transfers are in flight is kIOReturnBusy.
   */
  CreateMemoryDescriptorRing(size: number): void {
    if (!Number.isInteger(size) || size < 1 || size > kIOUSBHostPipeMaxRingSize) throw new IOReturnError(kIOReturnBadArgument, `CreateMemoryDescriptorRing: size ${size} is outside 1–${kIOUSBHostPipeMaxRingSize}`);
    if (this.#inFlight.some(Boolean)) throw new IOReturnError(kIOReturnBusy, 'CreateMemoryDescriptorRing: bundled transfers on the old ring are still in flight');
    for (const md of this.#ring) md?.release();
    this.#ring = new Array(size).fill(null);
    this.#inFlight = new Array(size).fill(false);
  }

  /** Mirrors `SetMemoryDescriptor(memoryDescriptor, index)`: the buffer of ring element `index` (retained). */
  SetMemoryDescriptor(memoryDescriptor: IOMemoryDescriptor | null, index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.#ring.length) throw new IOReturnError(kIOReturnBadArgument, `SetMemoryDescriptor: index ${index} is outside the ${this.#ring.length}-element ring${this.#ring.length === 0 ? ' (call CreateMemoryDescriptorRing first)' : ''}`);
    if (this.#inFlight[index]) throw new IOReturnError(kIOReturnBusy, `SetMemoryDescriptor: ring element ${index} is in flight`);
    this.#ring[index]?.release();
    this.#ring[index] = memoryDescriptor ? memoryDescriptor.retain() : null;
  }

  /**
   * Mirrors `AsyncIOBundled(ioTransferIndex, ioTransferCount, &ioTransferAcceptedCount,
   * dataBufferLengthArray, dataBufferLengthArrayCount, completion, completionTimeoutMs)`: transfers
   * `ioTransferCount` ring elements from `ioTransferIndex` (wrapping at the ring's end), element i with
   * `dataBufferLengthArray[i]` bytes; returns how many it accepted (it stops at an element already in
   * flight). Bulk pipes only. When all accepted ones are done, the completion runs
   * `(action, ioCompletionIndex, ioCompletionCount, actualByteCountArray, statusArray)`, as
   * `CompleteAsyncIOBundled` does.
   */
  AsyncIOBundled(ioTransferIndex: number, ioTransferCount: number, dataBufferLengthArray: readonly number[], completion: OSAction, completionTimeoutMs = 0): number {
    const what = 'AsyncIOBundled';
    if ((this.descriptors.descriptor.bmAttributes & 0x3) !== 2) throw new IOReturnError(kIOReturnUnsupported, `${what}: endpoint 0x${this.endpointAddress.toString(16)} is not a bulk endpoint (use AsyncIO or IsochIO)`);
    if (this.#ring.length === 0) throw new IOReturnError(kIOReturnNotReady, `${what}: the pipe has no memory descriptor ring (CreateMemoryDescriptorRing)`);
    if (!Number.isInteger(ioTransferIndex) || ioTransferIndex < 0 || ioTransferIndex >= this.#ring.length) throw new IOReturnError(kIOReturnBadArgument, `${what}: index ${ioTransferIndex} is outside the ${this.#ring.length}-element ring`);
    if (!Number.isInteger(ioTransferCount) || ioTransferCount < 1 || ioTransferCount > kIOUSBHostPipeBundlingMax || ioTransferCount > this.#ring.length) {
      throw new IOReturnError(kIOReturnBadArgument, `${what}: ${ioTransferCount} transfers; 1–${Math.min(kIOUSBHostPipeBundlingMax, this.#ring.length)} (kIOUSBHostPipeBundlingMax, the ring's size)`);
    }
    if (dataBufferLengthArray.length !== ioTransferCount) throw new IOReturnError(kIOReturnBadArgument, `${what}: ${dataBufferLengthArray.length} lengths for ${ioTransferCount} transfers`);
    const slots: number[] = [];
    for (let i = 0; i < ioTransferCount; i++) {
      const index = (ioTransferIndex + i) % this.#ring.length;
      if (this.#inFlight[index]) break;
      const md = this.#ring[index];
      if (!md) throw new IOReturnError(kIOReturnBadArgument, `${what}: ring element ${index} has no memory descriptor (SetMemoryDescriptor)`);
      this.#check(md, dataBufferLengthArray[i]!, `${what} element ${index}`);
      slots.push(index);
    }
    if (slots.length === 0) return 0;
    for (const index of slots) this.#inFlight[index] = true;
    completion.retain();
    // Bulk transfers on one pipe complete in order; each element is its own transfer.
    void Promise.all(
      slots.map((index, i) =>
        this.#transfer(this.#ring[index]!, dataBufferLengthArray[i]!, completionTimeoutMs).catch((e: unknown) => ({ status: statusOf(e), length: 0 })),
      ),
    )
      .then((results) => {
        for (const index of slots) this.#inFlight[index] = false;
        return completion.Invoke(
          slots[0]!,
          slots.length,
          results.map((r) => r.length),
          results.map((r) => r.status),
        );
      })
      .finally(() => completion.release());
    return slots.length;
  }

  /**
   * Mirrors `IsochIO(dataBuffer, frameList, firstFrameNumber, completion)`: the transfer starts on
   * frame `firstFrameNumber` (from GetFrameNumber), each element of `frameList` one frame (a
   * microframe at high speed and above). A frame already past is kIOReturnIsoTooOld and one more than
   * 1000 frames ahead kIOReturnIsoTooNew, for the whole request. Each frame's status, count and its own
   * time stamp (when that frame ended) are written into `frameList`; the completion runs
   * `(action, status)`. Backends without isochronous support complete with kIOReturnUnsupported.
   */
  IsochIO(dataBuffer: IOMemoryDescriptor, frameList: IOUSBIsochronousFrame[], firstFrameNumber: bigint | number, completion: OSAction): void {
    const lengths = frameList.map((f) => f.requestCount);
    const perFrame = this.#bytesPerInterval();
    const over = lengths.findIndex((n) => n > perFrame);
    if (over >= 0) throw new IOReturnError(kIOReturnBadArgument, `IsochIO: frame ${over} asks ${lengths[over]} bytes; endpoint 0x${this.endpointAddress.toString(16)} moves at most ${perFrame} per (micro)frame`);
    const total = lengths.reduce((a, b) => a + b, 0);
    this.#check(dataBuffer, total, 'IsochIO');
    const isIn = this.#isIn();
    const first = BigInt(firstFrameNumber);
    const frameNs = this.speed >= kIOUSBHostConnectionSpeedHigh ? 125_000n : 1_000_000n;
    completion.retain();
    const run = async (): Promise<number> => {
      const { frame: now } = await this.access.frameNumber();
      const refuse = (status: number) => {
        for (const f of frameList) Object.assign(f, { status, completeCount: 0, timeStamp: 0n });
        return status;
      };
      if (first < now) return refuse(kIOReturnIsoTooOld);
      if (first > now + kIOUSBHostIsochronousFramesAhead) return refuse(kIOReturnIsoTooNew);
      // Frame numbers count 1 ms frames: wait for the one the request names.
      if (first > now) await new Promise((r) => setTimeout(r, Number(first - now)));
      const r = await this.access.isoch(this.client, this.endpointAddress, isIn ? null : dataBuffer.readBytes(0, total), lengths, 0);
      const start = mach_absolute_time();
      r.frames.forEach((f, i) => Object.assign(frameList[i]!, { status: f.status, completeCount: f.length, timeStamp: start + BigInt(i + 1) * frameNs }));
      if (isIn && r.data) dataBuffer.writeBytes(0, r.data);
      return r.status;
    };
    run()
      .then(
        (status) => completion.Invoke(status),
        (e) => completion.Invoke(statusOf(e)),
      )
      .finally(() => completion.release());
  }

  /** Mirrors `Abort(options, withError, forClient)`: pending transfers complete with `withError`. */
  async Abort(_options = 0, withError: number = kIOReturnAborted): Promise<void> {
    await this.access.abort(this.client, 'device', this.endpointAddress, withError);
  }

  /** Mirrors `ClearStall(withRequest)`: resets the host side; `withRequest` also clears the device's halt (CLEAR_FEATURE). */
  async ClearStall(withRequest: boolean): Promise<void> {
    await this.access.clearHalt(this.client, this.endpointAddress, withRequest);
  }

  /** Mirrors `GetDescriptors`. */
  GetDescriptors(): IOUSBStandardEndpointDescriptors {
    return this.descriptors;
  }

  /** What one service interval may carry: max packet size × (burst + 1) × (mult + 1) (USB 2.0 §9.6.6, USB 3 §9.6.7). */
  #bytesPerInterval(d: IOUSBStandardEndpointDescriptors = this.#descriptors): number {
    const { descriptor: ep, ssCompanionDescriptor: c } = d;
    return IOUSBGetEndpointMaxPacketSize(this.speed, ep) * (1 + IOUSBGetEndpointBurstSize(this.speed, ep, c)) * (1 + IOUSBGetEndpointMult(this.speed, ep, c));
  }

  /**
   * Mirrors `AdjustPipe(descriptors)`: a periodic (interrupt or isochronous) endpoint may take less of
   * the bus than it declares: a smaller max packet size or a longer interval. Asking for more than the
   * device declared, another endpoint, or a bulk or control endpoint is refused. GetDescriptors and
   * GetMaxPacketSize then report the adjusted endpoint, and IsochIO frames are held to it.
   */
  AdjustPipe(descriptors: IOUSBStandardEndpointDescriptors): void {
    const declaredDescriptors = (this.#declared ??= this.#descriptors);
    const declared = declaredDescriptors.descriptor;
    const next = descriptors?.descriptor;
    const what = `AdjustPipe(0x${this.endpointAddress.toString(16)})`;
    if (!next || next.bEndpointAddress !== declared.bEndpointAddress || (next.bmAttributes & 0x3) !== (declared.bmAttributes & 0x3)) {
      throw new IOReturnError(kIOReturnBadArgument, `${what}: the descriptor must be of this endpoint, with its address and transfer type`);
    }
    const type = declared.bmAttributes & 0x3;
    if (type !== 1 && type !== 3) throw new IOReturnError(kIOReturnUnsupported, `${what}: only interrupt and isochronous endpoints can be adjusted`);
    const adjusted = { descriptor: { ...next }, ssCompanionDescriptor: descriptors.ssCompanionDescriptor ?? declaredDescriptors.ssCompanionDescriptor };
    const want = this.#bytesPerInterval(adjusted);
    const have = this.#bytesPerInterval(declaredDescriptors);
    if (want > have) throw new IOReturnError(kIOReturnBadArgument, `${what}: ${want} bytes per interval is more than the ${have} the device declares`);
    if (next.bInterval < declared.bInterval) throw new IOReturnError(kIOReturnBadArgument, `${what}: bInterval ${next.bInterval} is shorter than the declared ${declared.bInterval}`);
    this.#descriptors = adjusted;
  }

  /** Mirrors `GetSpeed` (kIOUSBHostConnectionSpeed*). */
  GetSpeed(): number {
    return this.speed;
  }

  GetDeviceAddress(): number {
    return this.deviceAddress;
  }

  /** The endpoint's max packet size, for sizing buffers as Apple's samples do. */
  GetMaxPacketSize(): number {
    return IOUSBGetEndpointMaxPacketSize(this.speed, this.descriptors.descriptor);
  }

  /** Mirrors `SetIdlePolicy(ms)`: kept for GetIdlePolicy; Linux autosuspend is left to the kernel's policy. */
  SetIdlePolicy(idleTimeoutMs: number): void {
    this.#idlePolicy = idleTimeoutMs;
  }

  GetIdlePolicy(): number {
    return this.#idlePolicy;
  }

  override free(): void {
    for (const md of this.#ring) md?.release();
    this.#ring = [];
    super.free();
  }
}
