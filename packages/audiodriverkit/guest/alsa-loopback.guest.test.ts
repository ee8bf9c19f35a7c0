// Guest tier: the same SimpleAudio driver, unchanged, on a real kernel's ALSA loopback card
// (snd-aloop) instead of an audio server: its input is recorded back with arecord, and a WAV played
// with aplay comes back through its loopback.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadSoundLoopback } from '../../../scripts/guest/helpers/sound';
import { dominantFrequency, sineLevelDb } from '../../../samples/SimpleAudio/test/analysis';
import { readWav, wavToInt16 } from '../../../samples/SimpleAudio/src/WavFile';

const exec = promisify(execFile);
const root = join(__dirname, '../../..');
const sample = join(root, 'samples/SimpleAudio');
const wav = join(root, '../shared/data/audio/hound/testsamples/pop.wav');
const scratch = process.env.TMPDIR ?? '/tmp';
const socket = join(scratch, 'simpleaudio-guest.sock');
const fifos = mkdtempSync(join(scratch, 'dk-audio-'));
let host: ChildProcess;
let output = '';

async function until(what: string, check: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end || host.exitCode !== null) throw new Error(`${what} did not happen; host said:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Records the loop's device 0, where the driver's input stream plays, for `seconds`. */
async function arecord(seconds: number): Promise<Int16Array> {
  const { stdout } = await exec('arecord', ['-q', '-D', 'hw:Loopback,0,0', '-f', 'S16_LE', '-r', '44100', '-c', '1', '-t', 'raw', '-d', String(seconds)], { encoding: 'buffer', maxBuffer: 16 << 20, timeout: 30_000 });
  return new Int16Array(stdout.buffer, stdout.byteOffset, Math.floor(stdout.length / 2));
}

const app = (...args: string[]) => exec(process.execPath, [join(sample, 'dist/SimpleAudioClient.js'), ...args, '--socket', socket], { timeout: 30_000 });

beforeAll(async () => {
  await loadSoundLoopback();
  host = spawn(process.execPath, [join(root, 'packages/driverkit/bin/driverkit.mjs'), 'run', sample, '--socket', socket], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DRIVERKIT_AUDIO_BACKEND: 'alsa-loopback', DRIVERKIT_AUDIO_DIR: fifos },
  });
  host.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  host.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  await until('the device to be published', () => output.includes('published SimpleAudioDevice') && output.includes('following services'));
}, 120_000);

afterAll(async () => {
  if (host.exitCode === null) {
    const exited = new Promise((r) => host.once('exit', r));
    host.kill('SIGINT');
    await exited;
  }
});

test('the device is published on the loopback card, and arecord records its 440 Hz tone at −6 dB', async () => {
  expect(output).toMatch(/published to alsa-loopback as dk\.SimpleAudioDevice-UID \(2 streams\)/);
  const x = await arecord(2);
  expect(x.length).toBeGreaterThan(80_000);
  expect(Math.abs(dominantFrequency(x, 44100) - 440)).toBeLessThan(1);
  expect(Math.abs(sineLevelDb(x.subarray(x.length - 32768)) - -6)).toBeLessThan(0.5);
});

test('in loopback, a WAV played with aplay comes back sample for sample at the driver\'s −6 dB', async () => {
  await app('source');
  expect((await app('source')).stdout).toMatch(/Input Tone Frequency Control: Loopback/);
  const played = wavToInt16(readWav(readFileSync(wav)));
  const gain = 10 ** (-6 / 20);
  const expected = Array.from(played, (v) => Math.trunc(gain * v));
  const recording = arecord(3);
  await new Promise((r) => setTimeout(r, 800));
  await exec('aplay', ['-q', '-D', 'hw:Loopback,0,0', wav], { timeout: 30_000 });
  const x = await recording;
  const first = expected.findIndex((v) => v !== 0);
  let at = -1;
  for (let i = first; i + expected.length - first <= x.length && at < 0; i++) if (expected.every((v, k) => x[i - first + k] === v)) at = i - first;
  expect(at).toBeGreaterThanOrEqual(0);
});

test('stopping the host ends aplay and arecord and removes the FIFOs', async () => {
  const exited = new Promise((r) => host.once('exit', r));
  host.kill('SIGINT');
  await exited;
  expect(host.exitCode).toBe(0);
  const left = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(fifos));
  expect(left).toEqual([]);
  expect(existsSync(fifos) ? readdirSync(fifos) : []).toEqual([]);
});
