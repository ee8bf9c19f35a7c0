import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { IOReturnError, kIOReturnNotResponding } from '@driverkit/driverkit';

const run = promisify(execFile);

/**
 * The audio server, through its own command-line client (`pactl`, PulseAudio's or PipeWire's pulse
 * server). Only control goes this way (loading and unloading a device's modules); audio moves
 * through the modules' FIFOs.
 */
export class PulseAudioServer {
  /** `pactl subscribe`, started on the first states() call: the cached states are stale after any event. */
  #events: ChildProcess | null = null;
  #states: Promise<Map<string, string>> | null = null;
  #statesAt = 0;

  constructor(private readonly pactl = process.env.DRIVERKIT_PACTL ?? 'pactl') {}

  /** Stops following the server's events. */
  close(): void {
    this.#events?.kill();
    this.#events = null;
    this.#states = null;
  }

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

  /**
   * The state (RUNNING, IDLE, SUSPENDED) of every sink and source, by name. Read once, then again only
   * after the server reports a change (one `pactl subscribe` follows its events), so engines may ask
   * often without a process per question. A change that lands before the subscription is up would go
   * unseen: no answer is older than a second.
   */
  states(): Promise<Map<string, string>> {
    this.#follow();
    if (this.#states && performance.now() - this.#statesAt > 1000) this.#states = null;
    if (!this.#states) this.#statesAt = performance.now();
    return (this.#states ??= this.#readStates().catch((e: unknown) => {
      this.#states = null;
      throw e;
    }));
  }

  async #readStates(): Promise<Map<string, string>> {
    const states = new Map<string, string>();
    for (const kind of ['sinks', 'sources']) {
      for (const line of (await this.#pactl('list', 'short', kind)).split('\n')) {
        const f = line.split('\t');
        if (f.length >= 5) states.set(f[1]!, f[f.length - 1]!.trim());
      }
    }
    return states;
  }

  #follow(): void {
    if (this.#events) return;
    const child = spawn(this.pactl, ['subscribe'], { stdio: ['ignore', 'pipe', 'ignore'] });
    this.#events = child;
    // It must not keep the host alive; its pipe neither.
    child.unref();
    (child.stdout as unknown as { unref?: () => void }).unref?.();
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (/on (sink|source|sink-input|source-output) /.test(line)) this.#states = null;
    });
    const gone = () => {
      if (this.#events === child) this.#events = null;
      this.#states = null;
    };
    child.once('exit', gone);
    child.once('error', gone);
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
