import type { Duplex } from 'node:stream';
import { IOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnBadArgument, kIOReturnNotAttached } from '../IOReturn/IOReturn';
import { OSDictionary } from '../os/OSDictionary';
import { OSSerializeBinary } from '../serialization/OSSerializeBinary';
import { kOSSerializeBinarySignature } from '../serialization/OSSerializeBinaryFormat';
import { OSUnserializeBinary } from '../serialization/OSUnserializeBinary';

/** The largest frame either side accepts; bulk data goes through shared memory, not frames. */
export const kIOMessageMaxFrame = 16 * 1024 * 1024;

/**
 * Frames of OSSerializeBinary dictionaries over a stream (a socket between the host and a driver
 * process, or an app and the host): a u32 little-endian length, then the bytes. The receiving side
 * treats frames as hostile: an oversized length, bytes that do not decode, or a top level that is not
 * a dictionary closes the channel with an error naming the problem. A side that sets {@link onFrame}
 * also takes frames of its own layout (a user client's call frames), told apart by their first word.
 */
export class IOMessageChannel {
  #buffer: Buffer = Buffer.alloc(0);
  #closed = false;
  onMessage: (message: OSDictionary) => void = () => {};
  /** Takes the frames that are not OSSerializeBinary (their first word is not its signature); unset, such a frame closes the channel. */
  onFrame: ((body: Buffer) => void) | null = null;
  /** Called once when the channel ends: `error` is null for an orderly close. */
  onClose: (error: Error | null) => void = () => {};

  readonly #listeners: Array<[string, (...args: any[]) => void]>;

  constructor(readonly stream: Duplex) {
    this.#listeners = [
      ['data', (chunk: Buffer) => this.#receive(chunk)],
      ['error', (e: Error) => this.#close(e)],
      ['close', () => this.#close(null)],
      ['end', () => this.#close(null)],
    ];
    for (const [event, listener] of this.#listeners) stream.on(event, listener);
  }

  /** Sends one message; throws `kIOReturnNotAttached` once the channel is closed. */
  send(message: OSDictionary): void {
    if (this.#closed) throw new IOReturnError(kIOReturnNotAttached, 'the channel is closed');
    this.sendFrame(OSSerializeBinary(message));
  }

  /** Sends one frame of the caller's own layout (see {@link onFrame}). */
  sendFrame(body: Uint8Array): void {
    if (this.#closed) throw new IOReturnError(kIOReturnNotAttached, 'the channel is closed');
    const frame = Buffer.allocUnsafe(4 + body.length);
    frame.writeUInt32LE(body.length, 0);
    frame.set(body, 4);
    this.stream.write(frame);
  }

  isClosed(): boolean {
    return this.#closed;
  }

  close(): void {
    if (this.#closed) return;
    this.stream.end();
    this.#close(null);
  }

  /**
   * Stops reading and lets go of the stream without closing it, for someone else to carry on (the host
   * handing an app's socket to a driver process). `onClose` is not called. Throws if bytes past the last
   * frame were read: they would be lost to the new owner.
   */
  detach(): Duplex {
    if (this.#closed) throw new IOReturnError(kIOReturnNotAttached, 'the channel is closed');
    if (this.#buffer.length) throw new IOReturnError(kIOReturnBadArgument, `${this.#buffer.length} bytes came after the last frame before the hand-over`);
    this.#closed = true;
    this.stream.pause();
    for (const [event, listener] of this.#listeners) this.stream.off(event, listener);
    return this.stream;
  }

  #receive(chunk: Buffer): void {
    if (this.#closed) return;
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    while (this.#buffer.length >= 4) {
      const length = this.#buffer.readUInt32LE(0);
      if (length > kIOMessageMaxFrame) return this.#fail(`a frame declares ${length} bytes, more than the ${kIOMessageMaxFrame} allowed`);
      if (this.#buffer.length < 4 + length) return;
      const body = this.#buffer.subarray(4, 4 + length);
      this.#buffer = this.#buffer.subarray(4 + length);
      if (this.onFrame && (length < 4 || body.readUInt32LE(0) !== kOSSerializeBinarySignature)) {
        this.onFrame(body);
        if (this.#closed) return;
        continue;
      }
      let message;
      try {
        message = OSUnserializeBinary(body);
      } catch (e) {
        return this.#fail(`a frame does not decode: ${(e as Error).message}`);
      }
      if (!(message instanceof OSDictionary)) return this.#fail(`a frame holds ${message.getClassName()}, not a dictionary`);
      this.onMessage(message);
      if (this.#closed) return;
    }
  }

  #fail(why: string): void {
    const e = new IOReturnError(kIOReturnBadArgument, why);
    this.stream.destroy();
    this.#close(e);
  }

  #close(error: Error | null): void {
    if (this.#closed) return;
    this.#closed = true;
    this.onClose(error);
  }
}
