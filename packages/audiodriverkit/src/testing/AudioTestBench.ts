import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IOTestBench, type IOServiceHostOptions } from '@driverkit/driverkit';
import { VirtualAudioBackend } from '../backend/virtual/VirtualAudioBackend';
import { register } from '../plugin';

/**
 * A driver host whose audio family publishes to a {@link VirtualAudioBackend} of its own, for an audio
 * driver's tests: no audio server, and nothing outside the test sees its devices. Add a driver bundle
 * to `host`, then `await bench.audio.device(name)` for the device it publishes, play into it, record
 * from it and say which of its streams run. `reset` empties and stops every device's streams between
 * tests; `stop` ends it all. The streams' FIFOs live in a directory of the bench's own.
 */
export class AudioTestBench extends IOTestBench<VirtualAudioBackend> {
  /** The bench's audio server: its devices, as the drivers published them. */
  get audio(): VirtualAudioBackend {
    return this.backend;
  }

  static async create(options: Partial<Pick<IOServiceHostOptions, 'mode' | 'log'>> = {}): Promise<AudioTestBench> {
    const host = IOTestBench.newHost(options);
    const backend = new VirtualAudioBackend();
    const fifoDirectory = mkdtempSync(join(tmpdir(), 'dk-audio-bench-'));
    const stop = await register(host, { backend, fifoDirectory });
    return new AudioTestBench(host, backend, async () => {
      await stop();
      backend.close();
      rmSync(fifoDirectory, { recursive: true, force: true });
    });
  }
}
