import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { IOReturnError, OSArray, OSBoolean, OSDictionary, OSNumber, OSString, kIOReturnBadArgument, kIOReturnNotPermitted, toOSDictionary, type IOKernelService, type IOKernelServiceContext } from '@driverkit/driverkit';
import { kIOUserAudioFamilyEntitlement } from '../IOUserAudioTypes';
import { PulseAudioServer } from './PulseAudioServer';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

const FORMATS = new Set(['s16le', 's32le', 'float32le']);

/** Where the FIFOs live: `$DRIVERKIT_AUDIO_DIR`, else /run/driverkit/audio. */
export function audioFifoDirectory(): string {
  return process.env.DRIVERKIT_AUDIO_DIR ?? '/run/driverkit/audio';
}

/**
 * The kernel half of an IOUserAudioDriver service, in the host: it publishes the driver's devices to
 * the audio server, one module per stream (`module-pipe-sink` for output, `module-pipe-source` for
 * input, named after the device), and hands the driver process the FIFOs. The host owns the server
 * side: when the service ends, stopped or crashed, every module it loaded is unloaded, so a dead
 * driver leaves no device behind.
 */
export class AudioServerKernel implements IOKernelService {
  static server = new PulseAudioServer();
  readonly #devices = new Map<string, { modules: number[]; fifos: string[]; names: Record<string, string> }>();

  constructor(private readonly context: IOKernelServiceContext) {}

  async handleRemoteCall(method: string, args: OSDictionary): Promise<OSDictionary | null> {
    switch (method) {
      case 'publishDevice':
        return this.#publish(args);
      case 'deviceState': {
        // Which of the device's streams the server is running (someone plays to the sink, records
        // from the source): the engine counts underruns and overruns only then.
        const entry = this.#devices.get(this.#string(args, 'uid'));
        if (!entry) return toOSDictionary({});
        const states = await AudioServerKernel.server.states();
        return toOSDictionary(Object.fromEntries(Object.entries(entry.names).map(([stream, name]) => [stream, states.get(name) === 'RUNNING'])));
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
    // A module name: letters, digits, dot, dash and underscore (the server refuses others).
    const id = `dk.${uid.replace(/[^A-Za-z0-9._-]/g, '_')}`.slice(0, 120);
    if (this.#devices.has(uid)) await this.#unpublish(uid);
    const streams = args.getObject('streams');
    if (!(streams instanceof OSArray) || streams.getCount() === 0 || streams.getCount() > 2) throw new IOReturnError(kIOReturnBadArgument, `publishDevice: ${uid} needs one or two streams`);
    const dir = audioFifoDirectory();
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    const entry = { modules: [] as number[], fifos: [] as string[], names: {} as Record<string, string> };
    this.#devices.set(uid, entry);
    const fifos: Record<string, string> = {};
    const label = name.replace(/['"\\]/g, '');
    try {
      for (const s of streams) {
        if (!(s instanceof OSDictionary)) throw new IOReturnError(kIOReturnBadArgument, 'publishDevice: a stream is not a dictionary');
        const output = s.getObject('output') instanceof OSBoolean && (s.getObject('output') as OSBoolean).isTrue();
        const format = this.#string(s, 'format');
        const rate = this.#number(s, 'rate', 8000, 384000);
        const channels = this.#number(s, 'channels', 1, 32);
        const streamID = this.#number(s, 'id', 0, 2 ** 32);
        if (!FORMATS.has(format)) throw new IOReturnError(kIOReturnBadArgument, `publishDevice: format ${format} is none of ${[...FORMATS].join(', ')}`);
        const fifo = join(dir, `${id}-${process.pid}-${streamID}.${output ? 'sink' : 'source'}`);
        rmSync(fifo, { force: true });
        entry.fifos.push(fifo);
        const common = { file: fifo, format, rate, channels };
        const index = output
          ? await AudioServerKernel.server.loadModule('module-pipe-sink', { sink_name: id, ...common, sink_properties: `device.description='${label}'` })
          : await AudioServerKernel.server.loadModule('module-pipe-source', { source_name: `${id}.input`, ...common, source_properties: `device.description='${label}'` });
        entry.modules.push(index);
        entry.names[String(streamID)] = output ? id : `${id}.input`;
        fifos[String(streamID)] = fifo;
      }
    } catch (e) {
      await this.#unpublish(uid);
      throw e;
    }
    this.context.log(`audio: ${uid} ("${name}") published to the audio server as ${id} (${entry.modules.length} stream${entry.modules.length === 1 ? '' : 's'})`);
    return toOSDictionary({ name: id, fifos });
  }

  async #unpublish(uid: string): Promise<void> {
    const entry = this.#devices.get(uid);
    if (!entry) return;
    this.#devices.delete(uid);
    for (const m of entry.modules.reverse()) await AudioServerKernel.server.unloadModule(m).catch((e: Error) => this.context.log(`audio: ${e.message}`));
    for (const f of entry.fifos) rmSync(f, { force: true });
  }

  /**
   * Unloads the modules a host that was killed outright left in the server: FIFOs in this host's
   * directory whose host process (the pid in the file's name) is gone. Run once as the family loads.
   */
  static async removeLeftovers(log: (line: string) => void): Promise<void> {
    const dir = audioFifoDirectory();
    let modules;
    try {
      modules = await AudioServerKernel.server.modules();
    } catch {
      return; // No server running: nothing can be left in it.
    }
    for (const m of modules) {
      const file = /(?:^| )file=(\S+)/.exec(m.args)?.[1];
      const pid = file?.startsWith(`${dir}/`) ? Number(/-(\d+)-\d+\.(?:sink|source)$/.exec(file)?.[1]) : NaN;
      if (!(pid > 0) || pid === process.pid || alive(pid)) continue;
      log(`audio: unloading ${m.name} #${m.index}, left by host ${pid}, which is gone`);
      await AudioServerKernel.server.unloadModule(m.index).catch(() => {});
      rmSync(file!, { force: true });
    }
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
