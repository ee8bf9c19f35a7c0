import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, rmSync } from 'node:fs';
import { IOReturnError, kIOReturnNoResources, kIOReturnNotResponding } from '@driverkit/driverkit';
import { holdStreamFifo, type AudioServerBackend, type AudioServerDevice, type AudioStreamSpec } from '../AudioServerBackend';

const ALSA_FORMATS: Record<string, string> = { s16le: 'S16_LE', s32le: 'S32_LE', float32le: 'FLOAT_LE' };
/** How long aplay and arecord get to end on SIGTERM before they are killed. */
const kStopGraceMs = 2000;
/** snd-aloop's substreams per PCM (its default pcm_substreams). */
const SUBSTREAMS = 8;

/**
 * Devices on an ALSA loopback card (snd-aloop), for kernels with ALSA and no audio server. Device
 * `n` of this host takes substream `n` of the loop: applications play to `hw:<card>,0,n` and record
 * from `hw:<card>,0,n`'s capture side, which is what the driver's input stream plays into
 * `hw:<card>,1,n`. The card's own timer paces the loop; `aplay` and `arecord` (alsa-utils) carry
 * the frames between the loop's PCMs and the driver's FIFOs, which this backend holds open while the
 * device is published. If the host is killed, they end by themselves: their FIFO loses its other side.
 */
export class AlsaLoopbackBackend implements AudioServerBackend {
  readonly name = 'alsa-loopback';
  readonly #used = new Set<number>();

  constructor(readonly card = process.env.DRIVERKIT_ALSA_CARD ?? 'Loopback') {}

  async publish(_id: string, _label: string, streams: readonly AudioStreamSpec[]): Promise<AudioServerDevice> {
    const sub = [...Array(SUBSTREAMS).keys()].find((n) => !this.#used.has(n));
    if (sub === undefined) throw new IOReturnError(kIOReturnNoResources, `every substream of ALSA card ${this.card} is taken (${SUBSTREAMS} devices)`);
    this.#used.add(sub);
    const children: ChildProcess[] = [];
    const held: number[] = [];
    let removed = false;
    const remove = async () => {
      if (removed) return;
      removed = true;
      // Our ends of the FIFOs go first: with no reader left, arecord's writes fail instead of blocking,
      // and aplay reads end of file. arecord's SIGTERM handler flushes what it buffered on its way out,
      // which blocked for good on a full FIFO that nobody read (seen under load): SIGKILL after a grace.
      for (const fd of held.splice(0)) closeSync(fd);
      await Promise.all(
        children.map((c) => {
          if (c.exitCode !== null || c.signalCode !== null) return null;
          return new Promise((r) => {
            const kill = setTimeout(() => c.kill('SIGKILL'), kStopGraceMs);
            c.once('exit', () => r(clearTimeout(kill)));
            c.kill('SIGTERM');
          });
        }),
      );
      for (const s of streams) rmSync(s.fifo, { force: true });
      this.#used.delete(sub);
    };
    try {
      for (const s of streams) {
        held.push(holdStreamFifo(s.fifo));
        const params = ['-q', '-f', ALSA_FORMATS[s.format]!, '-r', String(s.rate), '-c', String(s.channels), '-t', 'raw'];
        // Output: what apps play to device 0 is captured on device 1, into the FIFO the driver reads.
        // Input: the driver's frames are played on device 1, and apps capture them on device 0.
        const child = s.output ? spawn('arecord', ['-D', `hw:${this.card},1,${sub}`, ...params, s.fifo], { stdio: ['ignore', 'ignore', 'pipe'] }) : spawn('aplay', ['-D', `hw:${this.card},1,${sub}`, ...params, s.fifo], { stdio: ['ignore', 'ignore', 'pipe'] });
        children.push(child);
        await new Promise<void>((resolve, reject) => {
          let err = '';
          child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
          child.once('error', (e) => reject(new IOReturnError(kIOReturnNotResponding, `${child.spawnfile} (alsa-utils) could not start: ${e.message}`)));
          child.once('exit', (code) => reject(new IOReturnError(kIOReturnNotResponding, `${child.spawnfile} on hw:${this.card},1,${sub} exited (${code}): ${err.trim() || 'no message'}`)));
          // It has the PCM once it has run a moment without failing.
          setTimeout(resolve, 200);
        });
      }
    } catch (e) {
      await remove();
      throw e;
    }
    return {
      // The loop runs on the card's clock whether or not anyone is at its other end.
      running: async () => new Map(streams.map((s) => [s.id, true])),
      remove,
    };
  }

  async removeLeftovers(): Promise<void> {}

  close(): void {}
}
