import { closeSync, readSync, rmSync, writeSync } from 'node:fs';
import { IOReturnError, kIOReturnBadArgument, kIOReturnNotOpen } from '@driverkit/driverkit';
import { holdStreamFifo, type AudioServerDevice, type AudioStreamSpec } from '../AudioServerBackend';

const BYTES_PER_SAMPLE: Record<string, number> = { s16le: 2, s32le: 4, float32le: 4 };

/**
 * A device a driver published to a {@link VirtualAudioBackend}, as a test sees it: the test is the
 * audio server and its applications. It plays into the device's output stream (what the driver's
 * output ring receives), records what the driver's input stream produces, and says which streams
 * the system runs (the driver's engine counts underruns and overruns only for those). Each stream is
 * a FIFO this object holds open both ways, so the driver process opens it without waiting.
 */
export class VirtualAudioDevice implements AudioServerDevice {
  readonly #fds = new Map<number, number>();
  readonly #running = new Map<number, boolean>();
  #removed = false;

  /** @internal The backend publishes it; `onRemove` lets the backend forget it. */
  constructor(
    /** The name the device has in the system (`dk.<uid>`). */
    readonly id: string,
    /** Its description there (the device's name). */
    readonly label: string,
    readonly streams: readonly AudioStreamSpec[],
    private readonly onRemove: () => void,
  ) {
    try {
      for (const s of streams) {
        this.#fds.set(s.id, holdStreamFifo(s.fifo));
        this.#running.set(s.id, false);
      }
    } catch (e) {
      this.#close();
      throw e;
    }
  }

  /** The output stream (applications play into it), or the input stream. */
  stream(output: boolean): AudioStreamSpec | undefined {
    return this.streams.find((s) => s.output === output);
  }

  /** Bytes per frame of a stream: its channels times its sample format's size. */
  static bytesPerFrame(stream: AudioStreamSpec): number {
    return stream.channels * BYTES_PER_SAMPLE[stream.format]!;
  }

  /**
   * Plays `pcm` (whole frames in the stream's format) into the output stream, as an application
   * playing to the device would; the driver's engine reads it on its clock. Returns the bytes taken:
   * the FIFO holds what the driver has not read yet (64 KiB), and the rest is for the next call.
   */
  play(pcm: Uint8Array): number {
    const s = this.#stream(true);
    if (pcm.length % VirtualAudioDevice.bytesPerFrame(s) !== 0) throw new IOReturnError(kIOReturnBadArgument, `${this.id}: ${pcm.length} bytes are not whole ${VirtualAudioDevice.bytesPerFrame(s)}-byte frames`);
    try {
      return writeSync(this.#fds.get(s.id)!, pcm);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') return 0;
      throw e;
    }
  }

  /** What the driver's input stream produced since the last call, as an application recording from the device. */
  record(): Uint8Array {
    return new Uint8Array(Buffer.concat(VirtualAudioDevice.#readAll(this.#fds.get(this.#stream(false).id)!)));
  }

  /** Says whether the system runs the output (someone plays) or the input (someone records). Both start stopped. */
  setRunning(output: boolean, running: boolean): void {
    this.#running.set(this.#stream(output).id, running);
  }

  /** True once the driver (or the bench) took the device away. */
  get isRemoved(): boolean {
    return this.#removed;
  }

  /** Empties both streams and stops them, leaving the device published (between tests). */
  reset(): void {
    for (const s of this.streams) {
      this.#running.set(s.id, false);
      // An output's queued bytes are what the driver has not taken: our end reads them away too.
      if (!this.#removed) VirtualAudioDevice.#readAll(this.#fds.get(s.id)!);
    }
  }

  async running(): Promise<Map<number, boolean>> {
    return new Map(this.#running);
  }

  async remove(): Promise<void> {
    if (this.#removed) return;
    this.#removed = true;
    this.#close();
    for (const s of this.streams) rmSync(s.fifo, { force: true });
    this.onRemove();
  }

  #stream(output: boolean): AudioStreamSpec {
    const s = this.stream(output);
    if (!s) throw new IOReturnError(kIOReturnBadArgument, `${this.id} has no ${output ? 'output' : 'input'} stream`);
    if (this.#removed) throw new IOReturnError(kIOReturnNotOpen, `${this.id} was removed`);
    return s;
  }

  /** What is queued in a FIFO now, read until it is empty. */
  static #readAll(fd: number): Buffer[] {
    const chunks: Buffer[] = [];
    const buffer = Buffer.allocUnsafe(65536);
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buffer);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') break;
        throw e;
      }
      if (n <= 0) break;
      chunks.push(Buffer.from(buffer.subarray(0, n)));
    }
    return chunks;
  }

  #close(): void {
    for (const fd of this.#fds.values()) closeSync(fd);
    this.#fds.clear();
  }
}
