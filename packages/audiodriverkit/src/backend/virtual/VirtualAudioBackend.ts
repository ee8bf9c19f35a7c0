import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { IOReturnError, kIOReturnTimeout, processExists } from '@driverkit/driverkit';
import { hostPidOfFifo, type AudioServerBackend, type AudioStreamSpec } from '../AudioServerBackend';
import { VirtualAudioDevice } from './VirtualAudioDevice';

/**
 * An audio server in this process, for tests and machines without one: a device a driver publishes
 * becomes a {@link VirtualAudioDevice} the test plays into, records from and runs. Nothing outside
 * this process sees the devices (use the PulseAudio or ALSA backend for that).
 */
export class VirtualAudioBackend implements AudioServerBackend {
  readonly name = 'virtual';
  readonly #devices = new Map<string, VirtualAudioDevice>();
  readonly #waiters = new Set<() => void>();

  /** The devices published now. */
  devices(): VirtualAudioDevice[] {
    return [...this.#devices.values()];
  }

  /** The device published under `name` (its name or its `dk.<uid>` id), waiting up to `timeoutMs` for it. */
  device(name: string, timeoutMs = 5000): Promise<VirtualAudioDevice> {
    const find = () => this.devices().find((d) => d.label === name || d.id === name);
    const found = find();
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const check = () => {
        const d = find();
        if (!d) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve(d);
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new IOReturnError(kIOReturnTimeout, `no audio device "${name}" was published within ${timeoutMs} ms (published: ${this.devices().map((d) => d.label).join(', ') || 'none'})`));
      }, timeoutMs);
      this.#waiters.add(check);
    });
  }

  async publish(id: string, label: string, streams: readonly AudioStreamSpec[]): Promise<VirtualAudioDevice> {
    await this.#devices.get(id)?.remove();
    const device = new VirtualAudioDevice(id, label, streams, () => {
      if (this.#devices.get(id) === device) this.#devices.delete(id);
    });
    this.#devices.set(id, device);
    for (const check of [...this.#waiters]) check();
    return device;
  }

  /** A killed host's virtual devices died with it; their FIFOs are what is left. */
  async removeLeftovers(dir: string, log: (line: string) => void): Promise<void> {
    let files: string[];
    try {
      files = readdirSync(dir);
    } catch {
      return;
    }
    for (const file of files) {
      const pid = hostPidOfFifo(file);
      if (!(pid > 0) || pid === process.pid || processExists(pid)) continue;
      log(`audio: removing ${file}, left by host ${pid}, which is gone`);
      rmSync(join(dir, file), { force: true });
    }
  }

  /** Empties and stops every device's streams; the devices stay published (their drivers sit on no hardware a bench could unplug). */
  reset(): void {
    for (const d of this.#devices.values()) d.reset();
  }

  close(): void {
    for (const d of [...this.#devices.values()]) void d.remove();
  }
}
