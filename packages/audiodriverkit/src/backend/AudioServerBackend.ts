import { constants, openSync, rmSync } from 'node:fs';
import { LinuxNative } from '@driverkit/driverkit';
/** One stream of a device, as the system side publishes it. */
export interface AudioStreamSpec {
  /** The stream's object ID (names its FIFO). */
  id: number;
  /** Output: applications play into it; the driver reads what they played. */
  output: boolean;
  /** `s16le`, `s32le` or `float32le`. */
  format: string;
  rate: number;
  channels: number;
  /** The FIFO the driver process reads (output) or writes (input). */
  fifo: string;
}

/** A device as a backend published it. */
export interface AudioServerDevice {
  /** Which streams (by ID) the system is running now: someone plays to the output, records the input. */
  running(): Promise<Map<number, boolean>>;
  /** Takes the device out of the system; idempotent. */
  remove(): Promise<void>;
}

/**
 * Where devices are published: the audio server (PulseAudio or PipeWire's pulse server, the
 * default) or an ALSA loopback card. A backend makes each stream's FIFO exist and keeps it open
 * while the device is published, so the driver process opens it without waiting.
 */
export interface AudioServerBackend {
  readonly name: string;
  /** Publishes a device named `id` (a safe identifier) and described as `label`. */
  publish(id: string, label: string, streams: readonly AudioStreamSpec[]): Promise<AudioServerDevice>;
  /** Takes away what a host that was killed outright left behind (FIFOs in `dir` of host pids that are gone). */
  removeLeftovers(dir: string, log: (line: string) => void): Promise<void>;
  /** The host is stopping: let go of anything the backend keeps running. */
  close(): void;
}

/**
 * Makes a stream's FIFO afresh (mode 0600) and opens it both ways, non-blocking: a backend holds
 * that descriptor while the device is published, so the driver process opens its end without waiting
 * for a peer, and a reader or writer of the backend's own can come and go.
 */
export function holdStreamFifo(path: string): number {
  rmSync(path, { force: true });
  LinuxNative.mkfifo(path, 0o600);
  return openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
}

/** The host pid a FIFO's name records (`<id>-<pid>-<stream>.sink|source`), or NaN. */
export function hostPidOfFifo(file: string): number {
  return Number(/-(\d+)-\d+\.(?:sink|source)$/.exec(file)?.[1]);
}
