import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { readWav, wavToInt16 } from '../src/WavFile';
import { dominantFrequency, sineLevelDb } from './analysis';

// The sample as a user runs it: `driverkit run` publishes SimpleAudioDevice to this machine's audio
// server (started by scripts/setup.sh), the client app drives it, and the server's own tools (pactl,
// parec, pacat) play to it and record from it.
const sample = join(__dirname, '..');
const bin = join(sample, '../../packages/driverkit/bin/driverkit.mjs');
const client = join(sample, 'dist/SimpleAudioClient.js');
const wavs = join(__dirname, '../../../../shared/data/audio/hound/testsamples');
const exec = promisify(execFile);
const sink = 'dk.SimpleAudioDevice-UID';
const source = `${sink}.input`;
const fifoDir = mkdtempSync(join(tmpdir(), 'dk-audio-'));

let host: ChildProcess;
let output = '';
let socket: string;

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`${what} did not happen within ${ms} ms; host said:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const pactl = (...args: string[]) => execFileSync('pactl', args, { encoding: 'utf8' });
const ourModules = () => pactl('list', 'short', 'modules').split('\n').filter((l) => l.includes(`=${sink}`) || l.includes(`=${source}`));
const app = (...args: string[]) => exec(process.execPath, [client, ...args, '--socket', socket], { timeout: 20_000 });

/** A recording of the device's source, as apps make one (parec), running until stopped. */
function recording(rate: number): { frames(): number; stop(): Promise<Int16Array> } {
  const parec = spawn('parec', [`--device=${source}`, '--format=s16le', `--rate=${rate}`, '--channels=1', '--raw', '--latency-msec=20'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const chunks: Buffer[] = [];
  let bytes = 0;
  parec.stdout!.on('data', (d: Buffer) => {
    chunks.push(d);
    bytes += d.length;
  });
  return {
    frames: () => Math.floor(bytes / 2),
    stop: async () => {
      if (parec.exitCode === null) {
        const exited = new Promise((r) => parec.once('exit', r));
        parec.kill('SIGINT');
        await exited;
      }
      const b = Buffer.concat(chunks);
      return new Int16Array(b.buffer, b.byteOffset, Math.floor(b.length / 2));
    },
  };
}

/**
 * Records `ms` worth of the device's source and returns the samples. Counted in samples, not wall
 * time: on a loaded machine parec may take a while to start, and the test is of the audio, not of that.
 */
async function record(ms: number, rate: number): Promise<Int16Array> {
  const r = recording(rate);
  await until(`${ms} ms of the source to be recorded`, () => r.frames() >= (rate * ms) / 1000, ms + 15_000).catch(async (e) => {
    await r.stop();
    throw e;
  });
  return r.stop();
}

beforeAll(async () => {
  socket = join(mkdtempSync(join(tmpdir(), 'dk-simpleaudio-')), 'host.sock');
  host = spawn(process.execPath, [bin, 'run', sample, '--socket', socket], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DRIVERKIT_AUDIO_DIR: fifoDir } });
  host.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  host.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  await until('the device to be published', () => output.includes('SimpleAudioDriver - Start() - published SimpleAudioDevice') && output.includes('following services'));
}, 30_000);

afterAll(async () => {
  if (host.exitCode === null) {
    const exited = new Promise((r) => host.once('exit', r));
    host.kill('SIGINT');
    await exited;
  }
});

test('the device is a sink and a source in the audio server, and its input is the 440 Hz tone at the volume control\'s −6 dB', async () => {
  expect(output).toMatch(/started SimpleAudioDriver on IOUserResources \(com\.example\.apple-samplecode\.SimpleAudio\/SimpleAudioDriver, score 0, pid \d+\)/);
  expect(pactl('list', 'short', 'sinks')).toMatch(new RegExp(`\\t${sink}\\tmodule-pipe-sink\\.c\\ts16le 1ch 44100Hz`));
  expect(pactl('list', 'short', 'sources')).toMatch(new RegExp(`\\t${source}\\tmodule-pipe-source\\.c\\ts16le 1ch 44100Hz`));
  expect(pactl('list', 'sinks')).toMatch(/Description: SimpleAudioDevice/);
  const x = await record(2000, 44100);
  expect(x.length).toBeGreaterThan(44100);
  expect(Math.abs(dominantFrequency(x, 44100) - 440)).toBeLessThan(1);
  expect(Math.abs(sineLevelDb(x.subarray(x.length - 32768)) - -6)).toBeLessThan(0.5);
  const { stdout } = await app('status');
  expect(stdout).toMatch(/^SimpleAudioDevice: 44100 Hz$/m);
  expect(stdout).toMatch(/SimpleInputVolumeControl: -6 dB/);
}, 30_000);

test('the client app toggles the data source: 660 Hz, then the output looped back', async () => {
  expect((await app('source')).stdout).toMatch(/Input Tone Frequency Control: Sine Tone 660/);
  const x = await record(1500, 44100);
  expect(Math.abs(dominantFrequency(x, 44100) - 660)).toBeLessThan(1);
  expect((await app('source')).stdout).toMatch(/Input Tone Frequency Control: Loopback/);
}, 30_000);

test('in loopback, a WAV played into the sink comes back sample for sample, at −6 dB as the driver computes it', async () => {
  const played = wavToInt16(readWav(readFileSync(join(wavs, 'pop.wav'))));
  const gain = 10 ** (-6 / 20);
  const expected = Array.from(played, (v) => Math.trunc(gain * v));
  // Played once the recording runs, and recorded for a second after, however slow the machine is.
  const rec = recording(44100);
  await until('parec to record', () => rec.frames() > 0);
  expect((await app('play', join(wavs, 'pop.wav'))).stdout).toMatch(/played 100 frames at 44100 Hz/);
  const after = rec.frames();
  await until('a second more to be recorded', () => rec.frames() >= after + 44100);
  const x = await rec.stop();
  const first = expected.findIndex((v) => v !== 0);
  let at = -1;
  for (let i = 0; i + expected.length <= x.length && at < 0; i++) if (x[i] === expected[first] && expected.every((v, k) => x[i - first + k] === v)) at = i - first;
  expect(at).toBeGreaterThanOrEqual(0);
  expect(Array.from(x.subarray(at, at + expected.length))).toEqual(expected);
  // Back to the tone.
  expect((await app('source')).stdout).toMatch(/Sine Tone 440/);
}, 30_000);

test('a sample-rate change while running: the server sees 48 kHz, the tone is still 440 Hz, and no more than one period glitches', async () => {
  const counts = (s: string) => /underruns (\d+), overruns (\d+)/.exec(s)!.slice(1).map(Number);
  const running = recording(48000);
  await until('parec to record', () => running.frames() > 0);
  // The glitches counted are the switch's: from just before it until the server has the new rate. (A window
  // spanning the recordings too counted whatever a loaded CI machine did to the stream meanwhile.)
  const before = (await app('status')).stdout;
  expect((await app('rate')).stdout).toMatch(/^SimpleAudioDevice: 48000 Hz$/m);
  expect(pactl('list', 'short', 'sources')).toMatch(new RegExp(`\\t${source}\\tmodule-pipe-source\\.c\\ts16le 1ch 48000Hz`));
  const after = (await app('status')).stdout;
  await running.stop();
  // Recorded at the device's new rate: no resampling in the server between the driver and the app.
  const x = await record(1500, 48000);
  expect(Math.abs(dominantFrequency(x, 48000) - 440)).toBeLessThan(1);
  expect(Math.abs(sineLevelDb(x.subarray(x.length - 32768)) - -6)).toBeLessThan(0.5);
  const [u0, o0] = counts(before);
  const [u1, o1] = counts(after);
  // Said with the counts either side, so that a failure shows what the device reported.
  expect(`${u1! - u0! + (o1! - o0!)} glitches; before the switch: ${before.trim()}; after it: ${after.trim()}`).toMatch(/^[01] glitches/);
}, 30_000);

test('malformed WAVs get a clear error from the sample\'s reader, and nothing is played', async () => {
  for (const f of readdirSync(join(wavs, 'fuzz'))) {
    await expect(app('play', join(wavs, 'fuzz', f))).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/not a valid WAV file: .*\(at byte \d+\)|neither PCM nor IEEE float/) });
  }
}, 30_000);

test('SIGKILL of the driver mid-stream takes its device out of the server; the relaunched driver publishes it once', async () => {
  const pid = Number(/started SimpleAudioDriver on IOUserResources \(.*pid (\d+)\)/.exec(output)![1]);
  const modules = ourModules().map((l) => l.split('\t')[0]);
  expect(modules).toHaveLength(2);
  const running = recording(48000);
  await until('parec to record', () => running.frames() > 0);
  const from = output.length;
  process.kill(pid, 'SIGKILL');
  await until('the crashed driver\'s modules to be unloaded', () => !ourModules().some((l) => modules.includes(l.split('\t')[0])));
  await running.stop();
  await until('the relaunched driver to publish again', () => output.slice(from).includes('published SimpleAudioDevice') && ourModules().length === 2, 20_000);
  expect(pactl('list', 'short', 'sinks').split('\n').filter((l) => l.includes(`\t${sink}\t`))).toHaveLength(1);
}, 40_000);

test('stopping the host leaves nothing loaded in the server and no FIFO behind', async () => {
  const exited = new Promise((r) => host.once('exit', r));
  host.kill('SIGINT');
  await exited;
  expect(host.exitCode).toBe(0);
  expect(ourModules()).toEqual([]);
  expect(existsSync(fifoDir) ? readdirSync(fifoDir) : []).toEqual([]);
}, 30_000);
