import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { IOReturnError, OSArray, OSBoolean, OSDictionary, OSNumber, OSString, kIOReturnBadArgument, kIOReturnNotPermitted, toOSDictionary, type IOKernelService, type IOKernelServiceContext } from '@driverkit/driverkit';
import { AlsaLoopbackBackend } from '../backend/alsa/AlsaLoopbackBackend';
import type { AudioServerBackend, AudioServerDevice, AudioStreamSpec } from '../backend/AudioServerBackend';
import { PulseAudioBackend } from '../backend/pulse/PulseAudioBackend';
import { kIOUserAudioFamilyEntitlement } from '../IOUserAudioTypes';

const FORMATS = new Set(['s16le', 's32le', 'float32le']);

/** Where the FIFOs live: `$DRIVERKIT_AUDIO_DIR`, else /run/driverkit/audio. */
export function audioFifoDirectory(): string {
  return process.env.DRIVERKIT_AUDIO_DIR ?? '/run/driverkit/audio';
}

/** The backend `$DRIVERKIT_AUDIO_BACKEND` names: `pulseaudio` (the default) or `alsa-loopback`. */
export function backendFromEnvironment(): AudioServerBackend {
  const name = process.env.DRIVERKIT_AUDIO_BACKEND ?? 'pulseaudio';
  if (name === 'pulseaudio') return new PulseAudioBackend();
  if (name === 'alsa-loopback') return new AlsaLoopbackBackend();
  throw new IOReturnError(kIOReturnBadArgument, `DRIVERKIT_AUDIO_BACKEND=${name}: the audio family knows pulseaudio and alsa-loopback`);
}

/**
 * The kernel half of an IOUserAudioDriver service, in the host: it publishes the driver's devices
 * through the backend (the audio server by default) and hands the driver process the FIFOs. The host
 * owns the system side: when the service ends, stopped or crashed, every device it published is
 * taken away, so a dead driver leaves no device behind.
 */
export class AudioServerKernel implements IOKernelService {
  readonly #devices = new Map<string, AudioServerDevice>();

  /** `backend` is the host's (the plugin makes one per host, or is given one); the streams' FIFOs go in `fifoDirectory`. */
  constructor(
    private readonly context: IOKernelServiceContext,
    private readonly backend: AudioServerBackend,
    private readonly fifoDirectory = audioFifoDirectory(),
  ) {}

  async handleRemoteCall(method: string, args: OSDictionary): Promise<OSDictionary | null> {
    switch (method) {
      case 'publishDevice':
        return this.#publish(args);
      case 'deviceState': {
        // Which of the device's streams the system runs (someone plays to it, records from it): the
        // engine counts underruns and overruns only then.
        const device = this.#devices.get(this.#string(args, 'uid'));
        if (!device) return toOSDictionary({});
        return toOSDictionary(Object.fromEntries([...(await device.running())].map(([id, running]) => [String(id), running])));
      }
      case 'unpublishDevice': {
        await this.#unpublish(this.#string(args, 'uid'));
        return null;
      }
      default:
        throw new IOReturnError(kIOReturnBadArgument, `the audio family has no call ${method}`);
    }
  }

  async #publish(args: OSDictionary): Promise<OSDictionary> {
    const granted = this.context.entitlements.getObject(kIOUserAudioFamilyEntitlement);
    if (!(granted instanceof OSBoolean && granted.isTrue())) throw new IOReturnError(kIOReturnNotPermitted, `publishing an audio device: the driver lacks the ${kIOUserAudioFamilyEntitlement} entitlement`);
    const uid = this.#string(args, 'uid');
    const name = this.#string(args, 'name');
    // A module or PCM name: letters, digits, dot, dash and underscore.
    const id = `dk.${uid.replace(/[^A-Za-z0-9._-]/g, '_')}`.slice(0, 120);
    const list = args.getObject('streams');
    if (!(list instanceof OSArray) || list.getCount() === 0 || list.getCount() > 2) throw new IOReturnError(kIOReturnBadArgument, `publishDevice: ${uid} needs one or two streams`);
    const dir = this.fifoDirectory;
    const streams: AudioStreamSpec[] = [];
    for (const s of list) {
      if (!(s instanceof OSDictionary)) throw new IOReturnError(kIOReturnBadArgument, 'publishDevice: a stream is not a dictionary');
      const output = s.getObject('output') instanceof OSBoolean && (s.getObject('output') as OSBoolean).isTrue();
      const format = this.#string(s, 'format');
      if (!FORMATS.has(format)) throw new IOReturnError(kIOReturnBadArgument, `publishDevice: format ${format} is none of ${[...FORMATS].join(', ')}`);
      const streamID = this.#number(s, 'id', 0, 2 ** 32);
      streams.push({ id: streamID, output, format, rate: this.#number(s, 'rate', 8000, 384000), channels: this.#number(s, 'channels', 1, 32), fifo: join(dir, `${id}-${process.pid}-${streamID}.${output ? 'sink' : 'source'}`) });
    }
    if (new Set(streams.map((s) => s.output)).size !== streams.length) throw new IOReturnError(kIOReturnBadArgument, `publishDevice: ${uid} has two streams in one direction`);
    await this.#unpublish(uid);
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    this.#devices.set(uid, await this.backend.publish(id, name, streams));
    this.context.log(`audio: ${uid} ("${name}") published to ${this.backend.name} as ${id} (${streams.length} stream${streams.length === 1 ? '' : 's'})`);
    return toOSDictionary({ name: id, fifos: Object.fromEntries(streams.map((s) => [String(s.id), s.fifo])) });
  }

  async #unpublish(uid: string): Promise<void> {
    const device = this.#devices.get(uid);
    this.#devices.delete(uid);
    await device?.remove().catch((e: Error) => this.context.log(`audio: ${e.message}`));
  }

  async serviceEnded(): Promise<void> {
    for (const uid of [...this.#devices.keys()]) await this.#unpublish(uid);
  }

  #string(d: OSDictionary, key: string): string {
    const v = d.getObject(key);
    if (!(v instanceof OSString) || v.getLength() === 0 || v.getLength() > 256) throw new IOReturnError(kIOReturnBadArgument, `the audio family's call needs a string ${key} (1…256 characters)`);
    return v.getCStringNoCopy();
  }

  #number(d: OSDictionary, key: string, min: number, max: number): number {
    const v = d.getObject(key);
    const n = v instanceof OSNumber ? Number(v.unsigned64BitValue()) : NaN;
    if (!(n >= min && n <= max)) throw new IOReturnError(kIOReturnBadArgument, `the audio family's call needs ${key} in ${min}…${max}`);
    return n;
  }
}
