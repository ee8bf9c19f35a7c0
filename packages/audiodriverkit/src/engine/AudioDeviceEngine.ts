import { closeSync, constants, openSync, readSync, writeSync } from 'node:fs';
import { IOReturnError, OSBoolean, OSDictionary, OSNumber, OSString, kIOReturnNotReady, mach_absolute_time, toOSDictionary, type IOProviderLink } from '@driverkit/driverkit';
import type { IOUserAudioDevice } from '../IOUserAudioDevice';
import { serverSampleFormat } from '../IOUserAudioStreamBasicDescription';
import type { IOUserAudioStream } from '../IOUserAudioStream';
import { IOUserAudioIOOperation, IOUserAudioStreamDirection } from '../IOUserAudioTypes';

/** How often the engine moves audio between the rings and the server (ms). */
const kIOCycleMs = 5;

/** One published stream: its ring, its FIFO to the server, and where in sample time it has got to. */
interface StreamRun {
  stream: IOUserAudioStream;
  output: boolean;
  fd: number;
  ring: Uint8Array;
  bytesPerFrame: number;
  ringFrames: number;
  /** The next sample time to move. */
  position: bigint | null;
  /** Whether the server runs this stream (someone plays or records): only then is a shortfall an xrun. */
  serverRunning: boolean;
  /** Output: the bytes of a frame a read split, kept for the next cycle so frames stay aligned. */
  carry: Uint8Array;
}

/** Writes to a FIFO of at most PIPE_BUF bytes are all or nothing: input goes in such chunks, whole frames each. */
const PIPE_BUF = 4096;

/** What the engine counts, published in the registry. */
export interface AudioDeviceStatistics {
  underruns: number;
  overruns: number;
  framesOut: number;
  framesIn: number;
}

/**
 * The system side of one device, in the driver's process (the data stays where the driver runs).
 * The host's kernel half publishes the device to the audio server (a pipe sink for the output stream,
 * a pipe source for the input stream) and hands back the FIFOs; this engine then runs the I/O cycle:
 * every few milliseconds it reads the device's clock (its latest zero timestamp, extrapolated at the
 * sample rate), and for the frames the clock says are due it moves what the server played into the
 * output ring (then `WriteEnd`), or asks the driver for input (`BeginRead`) and hands the input ring's
 * frames to the server. The server is paced by these reads and writes, so the driver's clock paces
 * it. A cycle that finds the server behind (no output ready, no room for input) while the server runs
 * that stream (someone plays or records; the host is asked every 250 ms) counts an underrun or overrun.
 */
export class AudioDeviceEngine {
  readonly stats: AudioDeviceStatistics = { underruns: 0, overruns: 0, framesOut: 0, framesIn: 0 };
  #runs: StreamRun[] = [];
  #timer: NodeJS.Timeout | null = null;
  #stateTimer: NodeJS.Timeout | null = null;
  #published = false;
  #scratch = new Uint8Array(0);

  constructor(
    readonly device: IOUserAudioDevice,
    private readonly link: IOProviderLink,
  ) {}

  /** Publishes the device to the audio server as it is now (name, rate, streams' formats). */
  async publish(): Promise<void> {
    const d = this.device;
    const streams = d.GetStreams().filter((s) => s.GetStreamIsActive());
    const args = {
      uid: d.GetDeviceUID(),
      name: d.CopyName() || d.GetDeviceUID(),
      streams: streams.map((s) => {
        const f = s.GetCurrentStreamFormat();
        return { id: s.GetObjectID(), output: s.GetDirection() === IOUserAudioStreamDirection.Output, format: serverSampleFormat(f), rate: f.mSampleRate, channels: f.mChannelsPerFrame };
      }),
    };
    const reply = await this.link.call('publishDevice', toOSDictionary(args));
    this.#published = true;
    const fifos = reply.getObject('fifos');
    for (const s of streams) {
      const path = fifos instanceof OSDictionary ? fifos.getObject(String(s.GetObjectID())) : null;
      if (!(path instanceof OSString)) throw new IOReturnError(kIOReturnNotReady, `the audio server gave no FIFO for stream ${s.GetObjectID()}`);
      const f = s.GetCurrentStreamFormat();
      const output = s.GetDirection() === IOUserAudioStreamDirection.Output;
      // Both FIFOs are held open by the server's modules, so a non-blocking open never waits.
      const fd = openSync(path.getCStringNoCopy(), (output ? constants.O_RDONLY : constants.O_WRONLY) | constants.O_NONBLOCK);
      const ring = s.GetIOMemoryDescriptor().GetBytes();
      this.#runs.push({ stream: s, output, fd, ring, bytesPerFrame: f.mBytesPerFrame, ringFrames: Math.floor(ring.length / f.mBytesPerFrame), position: null, serverRunning: false, carry: new Uint8Array(0) });
    }
  }

  /** Starts the I/O cycle (the device's StartIO has run). */
  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.#cycle(), kIOCycleMs);
    this.#stateTimer = setInterval(() => void this.#followServer(), 250);
  }

  /** Asks the host which streams the server runs (a sink nobody plays to writes nothing; a source nobody records from reads nothing). */
  async #followServer(): Promise<void> {
    try {
      const states = await this.link.call('deviceState', toOSDictionary({ uid: this.device.GetDeviceUID() }));
      for (const r of this.#runs) {
        const running = states.getObject(String(r.stream.GetObjectID()));
        r.serverRunning = running instanceof OSBoolean && running.isTrue();
      }
    } catch {
      // The host is going away; the cycle stops with it.
    }
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    if (this.#stateTimer) clearInterval(this.#stateTimer);
    this.#timer = this.#stateTimer = null;
    for (const r of this.#runs) r.position = null;
  }

  /** Takes the device out of the audio server and closes the FIFOs. */
  async unpublish(): Promise<void> {
    this.stop();
    for (const r of this.#runs.splice(0)) closeSync(r.fd);
    if (this.#published) {
      this.#published = false;
      await this.link.call('unpublishDevice', toOSDictionary({ uid: this.device.GetDeviceUID() }));
    }
  }

  /** The statistics as the registry shows them. */
  describe(): OSDictionary {
    const d = OSDictionary.withCapacity(4);
    d.setObject('Underruns', OSNumber.withNumber(this.stats.underruns, 64));
    d.setObject('Overruns', OSNumber.withNumber(this.stats.overruns, 64));
    d.setObject('FramesOut', OSNumber.withNumber(this.stats.framesOut, 64));
    d.setObject('FramesIn', OSNumber.withNumber(this.stats.framesIn, 64));
    return d;
  }

  #cycle(): void {
    const d = this.device;
    const zts = d.GetCurrentZeroTimestamp();
    if (zts.hostTime === 0n || !d.IsRunning()) return;
    const rate = d.GetSampleRate();
    const now = mach_absolute_time();
    if (now < zts.hostTime) return;
    const due = zts.sampleTime + BigInt(Math.floor((Number(now - zts.hostTime) * rate) / 1e9));
    const handler = d.ioOperationHandler;
    for (const r of this.#runs) {
      r.position ??= due;
      let frames = Number(due - r.position);
      if (frames <= 0) continue;
      if (frames > r.ringFrames) {
        // The cycle fell a whole ring behind (the process was stopped): skip ahead, and say so.
        if (r.output) this.stats.underruns++;
        else this.stats.overruns++;
        r.position = due - BigInt(r.ringFrames);
        frames = r.ringFrames;
      }
      if (r.output) this.#output(r, frames);
      else {
        handler?.(d.GetObjectID(), IOUserAudioIOOperation.BeginRead, frames, r.position, now);
        this.#input(r, frames);
      }
      if (r.output) handler?.(d.GetObjectID(), IOUserAudioIOOperation.WriteEnd, frames, r.position, now);
      r.position += BigInt(frames);
    }
  }

  /** What the server played for `frames` frames, into the output ring at the stream's position. */
  #output(r: StreamRun, frames: number): void {
    const want = frames * r.bytesPerFrame;
    if (this.#scratch.length < want) this.#scratch = new Uint8Array(want);
    this.#scratch.set(r.carry, 0);
    let got = r.carry.length;
    try {
      got += readSync(r.fd, this.#scratch, got, want - got, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
    }
    const whole = got - (got % r.bytesPerFrame);
    r.carry = this.#scratch.slice(whole, got);
    got = whole;
    // Fewer bytes than due: silence for the rest. A sink with nothing playing writes nothing at all.
    this.#scratch.fill(0, got, want);
    if (got < want && r.serverRunning) this.stats.underruns++;
    this.#toRing(r, this.#scratch.subarray(0, want));
    this.stats.framesOut += Math.floor(got / r.bytesPerFrame);
  }

  /** The input ring's `frames` frames at the stream's position, to the server. */
  #input(r: StreamRun, frames: number): void {
    const bytes = this.#fromRing(r, frames);
    const chunk = Math.max(r.bytesPerFrame, PIPE_BUF - (PIPE_BUF % r.bytesPerFrame));
    let put = 0;
    try {
      while (put < bytes.length) put += writeSync(r.fd, bytes, put, Math.min(chunk, bytes.length - put));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
    }
    // Nobody recording: the server's source does not read, and the frames are dropped, as a device's
    // input is. While someone records, it is an overrun.
    if (put < bytes.length && r.serverRunning) this.stats.overruns++;
    this.stats.framesIn += Math.floor(put / r.bytesPerFrame);
  }

  #toRing(r: StreamRun, bytes: Uint8Array): void {
    const start = Number(r.position! % BigInt(r.ringFrames)) * r.bytesPerFrame;
    const first = Math.min(bytes.length, r.ring.length - start);
    r.ring.set(bytes.subarray(0, first), start);
    if (first < bytes.length) r.ring.set(bytes.subarray(first), 0);
  }

  #fromRing(r: StreamRun, frames: number): Uint8Array {
    const want = frames * r.bytesPerFrame;
    const start = Number(r.position! % BigInt(r.ringFrames)) * r.bytesPerFrame;
    if (start + want <= r.ring.length) return r.ring.subarray(start, start + want);
    if (this.#scratch.length < want) this.#scratch = new Uint8Array(want);
    const first = r.ring.length - start;
    this.#scratch.set(r.ring.subarray(start), 0);
    this.#scratch.set(r.ring.subarray(0, want - first), first);
    return this.#scratch.subarray(0, want);
  }
}
