import { rmSync } from 'node:fs';
import { processExists } from '@driverkit/driverkit';
import type { AudioServerBackend, AudioServerDevice, AudioStreamSpec } from '../AudioServerBackend';
import { hostPidOfFifo } from '../AudioServerBackend';
import { PulseAudioServer } from './PulseAudioServer';

/**
 * Devices in PulseAudio (or PipeWire's pulse server): a `module-pipe-sink` for the output stream and
 * a `module-pipe-source` for the input, named `<id>` and `<id>.input`. The modules are the server's
 * own and hold their FIFOs open themselves.
 */
export class PulseAudioBackend implements AudioServerBackend {
  readonly name = 'pulseaudio';

  constructor(readonly server = new PulseAudioServer()) {}

  async publish(id: string, label: string, streams: readonly AudioStreamSpec[]): Promise<AudioServerDevice> {
    const loaded: number[] = [];
    const names = new Map<number, string>();
    // The module argument is double-quoted (it holds spaces), the property value inside it single-quoted.
    const description = `"device.description='${label.replace(/['"\\]/g, '')}'"`;
    const remove = async () => {
      for (const m of loaded.splice(0).reverse()) await this.server.unloadModule(m).catch(() => {});
      for (const s of streams) rmSync(s.fifo, { force: true });
    };
    try {
      for (const s of streams) {
        rmSync(s.fifo, { force: true });
        const common = { file: s.fifo, format: s.format, rate: s.rate, channels: s.channels };
        const name = s.output ? id : `${id}.input`;
        loaded.push(s.output ? await this.server.loadModule('module-pipe-sink', { sink_name: name, ...common, sink_properties: description }) : await this.server.loadModule('module-pipe-source', { source_name: name, ...common, source_properties: description }));
        names.set(s.id, name);
      }
    } catch (e) {
      await remove();
      throw e;
    }
    return {
      running: async () => {
        const states = await this.server.states();
        return new Map([...names].map(([stream, name]) => [stream, states.get(name) === 'RUNNING']));
      },
      remove,
    };
  }

  close(): void {
    this.server.close();
  }

  async removeLeftovers(dir: string, log: (line: string) => void): Promise<void> {
    let modules;
    try {
      modules = await this.server.modules();
    } catch {
      return; // No server running: nothing can be left in it.
    }
    for (const m of modules) {
      const file = /(?:^| )file=(\S+)/.exec(m.args)?.[1];
      const pid = file?.startsWith(`${dir}/`) ? hostPidOfFifo(file) : NaN;
      if (!(pid > 0) || pid === process.pid || processExists(pid)) continue;
      log(`audio: unloading ${m.name} #${m.index}, left by host ${pid}, which is gone`);
      await this.server.unloadModule(m.index).catch(() => {});
      rmSync(file!, { force: true });
    }
  }
}
