import { join } from 'node:path';
import { fromOSObject, kIOReturnTimeout } from '@driverkit/driverkit';
import { AudioTestBench } from '@driverkit/audiodriverkit/testing';
import { waitFor } from '../../../driverkit/test/helpers';

const fixture = join(__dirname, '../../test/fixtures/loopback-audio');

/** The index where `ramp` (1, 2, 3, … as int16) starts in `samples`, or -1. */
function findRamp(samples: Int16Array, length: number): number {
  for (let i = 0; i + length <= samples.length; i++) {
    if (samples[i] !== 1) continue;
    let k = 1;
    while (k < length && samples[i + k] === k + 1) k++;
    if (k === length) return i;
  }
  return -1;
}

test('an audio driver publishes to the bench’s own server: what the test plays reaches the driver, what it produces is recorded, and the streams it runs count xruns', async () => {
  const a = await AudioTestBench.create();
  const b = await AudioTestBench.create();
  try {
    a.host.addDriverBundle(fixture);
    const device = await a.audio.device('Loopback');
    expect([device.id, device.label, device.streams.map((s) => [s.output, s.format, s.rate, s.channels])]).toEqual(['dk.Loopback-UID', 'Loopback', [[true, 's16le', 48000, 1], [false, 's16le', 48000, 1]]]);
    // Each bench is its own audio server.
    expect(b.audio.devices()).toEqual([]);
    await expect(b.audio.device('Loopback', 100)).rejects.toMatchObject({ code: kIOReturnTimeout });

    // 100 ms of a ramp into the output; the loopback driver hands it to its input, which the test records.
    const ramp = Int16Array.from({ length: 4800 }, (_, i) => i + 1);
    expect(device.play(new Uint8Array(ramp.buffer))).toBe(ramp.byteLength);
    const recorded: Uint8Array[] = [];
    let at = -1;
    await waitFor(() => {
      recorded.push(device.record());
      const all = Buffer.concat(recorded);
      at = findRamp(new Int16Array(all.buffer, all.byteOffset, all.length >> 1), ramp.length);
      return at >= 0;
    }, 5000, 'the ramp to come back through the driver');
    expect(() => device.play(Uint8Array.of(1))).toThrow(/not whole 2-byte frames/);

    // A stream the system runs with nothing played is an underrun the driver counts (the engine asks every 250 ms).
    const driver = a.host.clientsOf(a.host.userResources).get('LoopbackAudioDriver')!;
    const underruns = () => Number((fromOSObject(driver.getProperty('IOUserAudioObjects')!) as Array<{ Statistics?: { Underruns: number } }>).find((o) => o.Statistics)?.Statistics?.Underruns ?? 0);
    const before = underruns();
    device.setRunning(true, true);
    expect((await device.running()).get(device.stream(true)!.id)).toBe(true);
    await waitFor(() => underruns() > before, 5000, 'an underrun on the running output');

    // reset: both streams stopped and emptied, the device still published.
    a.reset();
    expect([...(await device.running()).values()]).toEqual([false, false]);
    expect(a.audio.devices()).toEqual([device]);
  } finally {
    await a.stop();
    await b.stop();
  }
  // The driver's end: its device's I/O stopped (its timers with it) and the device left the server.
  expect((globalThis as { __loopbackAudio?: string[] }).__loopbackAudio).toEqual(['StartIO', 'StopIO']);
  await waitFor(() => a.audio.devices().length === 0, 5000, 'the device to go');
}, 30_000);
