import { IOReturnError, OSObject, kIOReturnAborted, kIOReturnBadArgument, kIOReturnIsoTooNew, kIOReturnIsoTooOld, kIOReturnSuccess, mach_absolute_time, type IOMemoryDescriptor, type OSAction } from '@driverkit/driverkit';
import type { USBAccess } from '../access/USBAccess';
import type { IOUSBEndpointDescriptor, IOUSBSuperSpeedEndpointCompanionDescriptor } from '../descriptors/USBDescriptors';
import { IOUSBGetEndpointDirection, IOUSBGetEndpointMaxPacketSize } from '../descriptors/USBEndpoint';
import { kIOUSBEndpointDirectionIn, kIOUSBHostConnectionSpeedHigh } from '../descriptors/USBConstants';

/** How far ahead an isochronous request may start (frames), as IOUSBHostFamily allows. */
export const kIOUSBHostIsochronousFramesAhead = 1000n;
import { IOUSBHostIOError } from './IOUSBHostIOError';

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

  /** @internal Made by IOUSBHostInterface.CopyPipe. */
  constructor(
    readonly access: USBAccess,
    readonly client: string,
    readonly descriptors: IOUSBStandardEndpointDescriptors,
    readonly speed: number,
    readonly deviceAddress: number,
  ) {
    super();
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

  async #transfer(buffer: IOMemoryDescriptor | null, length: number, timeoutMs: number): Promise<{ status: number; length: number }> {
    const isIn = this.#isIn();
    const r = await this.access.io(this.client, this.endpointAddress, isIn ? null : length > 0 ? buffer!.readBytes(0, length) : new Uint8Array(0), isIn ? length : 0, timeoutMs);
    if (isIn && r.data && buffer && r.data.length > 0) buffer.writeBytes(0, r.data);
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
    this.#transfer(dataBuffer, dataBufferLength, completionTimeoutMs)
      .then(
        (r) => completion.Invoke(r.status, r.length, mach_absolute_time()),
        (e) => completion.Invoke(e instanceof IOReturnError ? e.code : kIOReturnAborted, 0, mach_absolute_time()),
      )
      .finally(() => completion.release());
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
        (e) => completion.Invoke(e instanceof IOReturnError ? e.code : kIOReturnAborted),
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
}
