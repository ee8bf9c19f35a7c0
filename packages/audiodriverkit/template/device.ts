// __NAME__Device: the audio device, in Apple's shape (SimpleAudioDevice's). One mono 16-bit output
// stream and one input stream over ring buffers; a timer stands in for the hardware's interrupt and
// advances the device's zero timestamps, which pace I/O; BeginRead copies what was played into what
// is recorded. Replace the loopback with your hardware's DMA.
import { IOBufferMemoryDescriptor, IOTimerDispatchSource, OSAction, OSString, kIOMemoryDirectionInOut, kIOReturnSuccess, kIOTimerClockMachAbsoluteTime, mach_absolute_time, type IODispatchQueue } from '@driverkit/driverkit';
import {
  IOUserAudioDevice,
  IOUserAudioFormatFlags,
  IOUserAudioFormatID,
  IOUserAudioIOOperation,
  IOUserAudioStream,
  IOUserAudioStreamDirection,
  IOUserAudioTransportType,
  type IOUserAudioDriver,
  type IOUserAudioObjectID,
  type IOUserAudioStreamBasicDescription,
} from '@driverkit/audiodriverkit';

const kSampleRate = 48_000;
const kRingFrames = 16_384;

const format: IOUserAudioStreamBasicDescription = {
  mSampleRate: kSampleRate,
  mFormatID: IOUserAudioFormatID.LinearPCM,
  mFormatFlags: IOUserAudioFormatFlags.FormatFlagIsSignedInteger | IOUserAudioFormatFlags.FormatFlagsNativeEndian,
  mBytesPerPacket: 2,
  mFramesPerPacket: 1,
  mBytesPerFrame: 2,
  mChannelsPerFrame: 1,
  mBitsPerChannel: 16,
};

export class __NAME__Device extends IOUserAudioDevice {
  #queue!: IODispatchQueue;
  #output!: IOUserAudioStream;
  #input!: IOUserAudioStream;
  #timer!: IOTimerDispatchSource;
  #ticksPerBuffer = 0n;
  #running = false;

  // OSObject's init takes no arguments: a device's are optional so that it stays one.
  override init(driver?: IOUserAudioDriver, supportsPrewarming = false, deviceUID: OSString | string = '', modelUID: OSString | string = '', manufacturerUID: OSString | string = '', zeroTimestampPeriod = 0): boolean {
    if (!super.init(driver, supportsPrewarming, deviceUID, modelUID, manufacturerUID, zeroTimestampPeriod) || !driver) return false;
    this.SetAvailableSampleRates([kSampleRate], 1);
    this.SetSampleRate(kSampleRate);
    this.SetTransportType(IOUserAudioTransportType.Virtual);
    this.#output = IOUserAudioStream.Create(driver, IOUserAudioStreamDirection.Output, IOBufferMemoryDescriptor.Create(kIOMemoryDirectionInOut, kRingFrames * format.mBytesPerFrame));
    this.#input = IOUserAudioStream.Create(driver, IOUserAudioStreamDirection.Input, IOBufferMemoryDescriptor.Create(kIOMemoryDirectionInOut, kRingFrames * format.mBytesPerFrame));
    for (const stream of [this.#output, this.#input]) {
      stream.SetAvailableStreamFormats([format], 1);
      stream.SetCurrentStreamFormat(format);
      this.AddStream(stream);
    }
    this.#queue = driver.GetWorkQueue();
    this.#timer = IOTimerDispatchSource.Create(this.#queue);
    const action = OSAction.Create(this, 'ZtsTimerOccurred', 8);
    this.#timer.SetHandler(action);
    action.release();
    this.SetIOOperationHandler((_device: IOUserAudioObjectID, operation: IOUserAudioIOOperation, frames: number, sampleTime: bigint) => {
      if (operation === IOUserAudioIOOperation.BeginRead) this.#loopback(frames, sampleTime);
      return kIOReturnSuccess;
    });
    return true;
  }

  /** Copies the frames played at `sampleTime` into the input ring, where the recording reads them. */
  #loopback(frames: number, sampleTime: bigint): void {
    const out = this.#output.GetIOMemoryDescriptor().GetBytes();
    const inp = this.#input.GetIOMemoryDescriptor().GetBytes();
    const first = Number(sampleTime % BigInt(kRingFrames)) * format.mBytesPerFrame;
    for (let i = 0; i < frames * format.mBytesPerFrame; i++) inp[(first + i) % inp.length] = out[(first + i) % out.length]!;
  }

  override async StartIO(flags: number): Promise<number> {
    return this.#queue.DispatchSync(async () => {
      await super.StartIO(flags);
      this.#ticksPerBuffer = BigInt(Math.trunc((this.GetZeroTimestampPeriod() * 1e9) / kSampleRate));
      this.UpdateCurrentZeroTimestamp(0, 0);
      this.#timer.WakeAtTime(kIOTimerClockMachAbsoluteTime, mach_absolute_time() + this.#ticksPerBuffer, 0);
      this.#timer.SetEnable(true);
      this.#running = true;
      return kIOReturnSuccess;
    });
  }

  override async StopIO(flags: number): Promise<number> {
    return this.#queue.DispatchSync(async () => {
      this.#timer.SetEnable(false);
      this.#running = false;
      await super.StopIO(flags);
      return kIOReturnSuccess;
    });
  }

  /** The stand-in for the hardware's interrupt: one zero timestamp per period. */
  ZtsTimerOccurred(_action: OSAction, time: bigint): void {
    let { sampleTime, hostTime } = this.GetCurrentZeroTimestamp();
    if (hostTime !== 0n) {
      sampleTime += BigInt(this.GetZeroTimestampPeriod());
      hostTime += this.#ticksPerBuffer;
    } else {
      sampleTime = 0n;
      hostTime = time;
    }
    this.UpdateCurrentZeroTimestamp(sampleTime, hostTime);
    this.#timer.WakeAtTime(kIOTimerClockMachAbsoluteTime, hostTime + this.#ticksPerBuffer, 0);
  }

  /** One line about the device, for the driver's Identity(). */
  Describe(): string {
    return `audio device "${this.CopyName()}" (${this.GetDeviceUID()}): ${this.GetSampleRate()} Hz mono 16-bit, output looped back to input, I/O ${this.#running ? 'running' : 'stopped'}`;
  }
}
