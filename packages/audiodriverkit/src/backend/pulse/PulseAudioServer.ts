import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { IOReturnError, kIOReturnNotResponding } from '@driverkit/driverkit';

const run = promisify(execFile);

/**
 * The audio server, through its own command-line client (`pactl`, PulseAudio's or PipeWire's pulse
 * server). Only control goes this way (loading and unloading a device's modules); audio moves
 * through the modules' FIFOs.
 */
export class PulseAudioServer {
  constructor(private readonly pactl = process.env.DRIVERKIT_PACTL ?? 'pactl') {}

  async #pactl(...args: string[]): Promise<string> {
    try {
      return (await run(this.pactl, args, { timeout: 10_000 })).stdout;
    } catch (e) {
      const err = e as NodeJS.ErrnoException & { stderr?: string };
      const why = err.code === 'ENOENT' ? `${this.pactl} is not installed (run scripts/setup.sh)` : (err.stderr?.trim() || err.message);
      throw new IOReturnError(kIOReturnNotResponding, `the audio server refused \`pactl ${args.join(' ')}\`: ${why}`, { cause: e });
    }
  }

  /** Loads a module; resolves with its index. */
  async loadModule(name: string, args: Record<string, string | number>): Promise<number> {
    const out = await this.#pactl('load-module', name, ...Object.entries(args).map(([k, v]) => `${k}=${v}`));
    const index = Number(out.trim());
    if (!Number.isInteger(index)) throw new IOReturnError(kIOReturnNotResponding, `pactl load-module ${name} answered "${out.trim()}", not a module index`);
    return index;
  }

  /** The state (RUNNING, IDLE, SUSPENDED) of every sink and source, by name. */
  async states(): Promise<Map<string, string>> {
    const states = new Map<string, string>();
    for (const kind of ['sinks', 'sources']) {
      for (const line of (await this.#pactl('list', 'short', kind)).split('\n')) {
        const f = line.split('\t');
        if (f.length >= 5) states.set(f[1]!, f[f.length - 1]!.trim());
      }
    }
    return states;
  }

  /** Every loaded module: its index, name and arguments. */
  async modules(): Promise<Array<{ index: number; name: string; args: string }>> {
    return (await this.#pactl('list', 'short', 'modules'))
      .split('\n')
      .map((line) => line.split('\t'))
      .filter((f) => f.length >= 3)
      .map((f) => ({ index: Number(f[0]), name: f[1]!, args: f[2]! }));
  }

  async unloadModule(index: number): Promise<void> {
    await this.#pactl('unload-module', String(index));
  }
}
