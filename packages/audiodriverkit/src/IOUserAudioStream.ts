import { IOBufferMemoryDescriptor, IOReturnError, kIOReturnBadArgument, kIOReturnUnsupported } from '@driverkit/driverkit';
import type { IOUserAudioDriver } from './IOUserAudioDriver';
import { IOUserAudioObject } from './IOUserAudioObject';
import { serverSampleFormat, type IOUserAudioStreamBasicDescription } from './IOUserAudioStreamBasicDescription';
import { IOUserAudioClassID, IOUserAudioStreamDirection } from './IOUserAudioTypes';

const sameFormat = (a: IOUserAudioStreamBasicDescription, b: IOUserAudioStreamBasicDescription) =>
  a.mSampleRate === b.mSampleRate && a.mFormatID === b.mFormatID && a.mFormatFlags === b.mFormatFlags && a.mBytesPerFrame === b.mBytesPerFrame && a.mChannelsPerFrame === b.mChannelsPerFrame && a.mBitsPerChannel === b.mBitsPerChannel;

/**
 * Mirrors `IOUserAudioStream`: one direction of a device's audio, in a ring buffer the driver and the
 * system share. Frame `n` of the device's sample time lives at `n mod ringFrames` in the ring, as in
 * CoreAudio; the output ring holds what applications played, the input ring what they will record.
 */
export class IOUserAudioStream extends IOUserAudioObject {
  #direction: IOUserAudioStreamDirection = IOUserAudioStreamDirection.Output;
  #ring: IOBufferMemoryDescriptor | null = null;
  #formats: IOUserAudioStreamBasicDescription[] = [];
  #current: IOUserAudioStreamBasicDescription | null = null;
  #active = true;
  #startingChannel = 1;

  /** Mirrors `IOUserAudioStream::Create(driver, direction, ioRingBuffer)`. */
  static Create(driver: IOUserAudioDriver, direction: IOUserAudioStreamDirection, ioRingBuffer: IOBufferMemoryDescriptor): IOUserAudioStream {
    if (direction !== IOUserAudioStreamDirection.Input && direction !== IOUserAudioStreamDirection.Output) throw new IOReturnError(kIOReturnBadArgument, `IOUserAudioStream: direction ${direction} is neither Output (0) nor Input (1)`);
    if (!(ioRingBuffer instanceof IOBufferMemoryDescriptor) || ioRingBuffer.GetLength() === 0n) throw new IOReturnError(kIOReturnBadArgument, 'IOUserAudioStream: the ring buffer must be a non-empty IOBufferMemoryDescriptor');
    const s = new IOUserAudioStream();
    s.bind(driver, IOUserAudioClassID.Stream);
    s.#direction = direction;
    s.#ring = ioRingBuffer.retain();
    return s;
  }

  GetDirection(): IOUserAudioStreamDirection {
    return this.#direction;
  }

  /** Mirrors `SetAvailableStreamFormats(formats, count)`; each must be one the audio server can carry. */
  SetAvailableStreamFormats(formats: readonly IOUserAudioStreamBasicDescription[], count = formats.length): void {
    const list = formats.slice(0, count).map((f) => ({ ...f }));
    for (const f of list) serverSampleFormat(f);
    this.#formats = list;
  }

  GetAvailableStreamFormats(): IOUserAudioStreamBasicDescription[] {
    return this.#formats.map((f) => ({ ...f }));
  }

  /** Mirrors `SetCurrentStreamFormat(format)`: one of the available formats. */
  SetCurrentStreamFormat(format: IOUserAudioStreamBasicDescription): void {
    if (!this.#formats.some((f) => sameFormat(f, format))) throw new IOReturnError(kIOReturnUnsupported, `${this.CopyName() || 'stream'}: ${format.mSampleRate} Hz, ${format.mChannelsPerFrame} ch, ${format.mBitsPerChannel}-bit is not one of its available formats`);
    this.#current = { ...format };
  }

  /** Mirrors `GetCurrentStreamFormat`. */
  GetCurrentStreamFormat(): IOUserAudioStreamBasicDescription {
    if (!this.#current) throw new IOReturnError(kIOReturnBadArgument, `${this.CopyName() || 'stream'} has no current format: call SetCurrentStreamFormat`);
    return { ...this.#current };
  }

  /** Mirrors `HandleChangeCurrentStreamFormat(format)`: the system asks for a format; the default takes it. */
  HandleChangeCurrentStreamFormat(format: IOUserAudioStreamBasicDescription): number | void {
    this.SetCurrentStreamFormat(format);
  }

  /** Mirrors `DeviceSampleRateChanged(rate)`: the current format moves to the available one at that rate. */
  DeviceSampleRateChanged(rate: number): void {
    const cur = this.GetCurrentStreamFormat();
    const next = this.#formats.find((f) => f.mSampleRate === rate && f.mChannelsPerFrame === cur.mChannelsPerFrame && f.mBitsPerChannel === cur.mBitsPerChannel);
    if (!next) throw new IOReturnError(kIOReturnUnsupported, `${this.CopyName() || 'stream'} has no format at ${rate} Hz`);
    this.#current = { ...next };
  }

  /** Mirrors `GetIOMemoryDescriptor`: the ring buffer. */
  GetIOMemoryDescriptor(): IOBufferMemoryDescriptor {
    return this.#ring!;
  }

  /** Mirrors `SetIOMemoryDescriptor`: a new ring (between I/O runs). */
  SetIOMemoryDescriptor(ring: IOBufferMemoryDescriptor): void {
    this.#ring?.release();
    this.#ring = ring.retain();
  }

  /** Mirrors `SetStreamIsActive`: an inactive stream is not published to the system. */
  SetStreamIsActive(active: boolean): void {
    this.#active = active;
  }

  GetStreamIsActive(): boolean {
    return this.#active;
  }

  /** Mirrors `SetStartingChannel`. */
  SetStartingChannel(channel: number): void {
    this.#startingChannel = channel;
  }

  override describe(): Record<string, unknown> {
    const f = this.#current;
    return { ...super.describe(), Direction: this.#direction === IOUserAudioStreamDirection.Input ? 'Input' : 'Output', Active: this.#active, StartingChannel: this.#startingChannel, RingBufferBytes: Number(this.#ring?.GetLength() ?? 0), ...(f ? { SampleRate: f.mSampleRate, ChannelsPerFrame: f.mChannelsPerFrame, BitsPerChannel: f.mBitsPerChannel } : {}) };
  }

  override free(): void {
    this.#ring?.release();
    this.#ring = null;
    super.free();
  }
}
