// `npm run bench` in this package: 48 kHz stereo streamed through a published device (pacat into its
// sink, its output passed to its input by the driver, parec from its source), against the audio
// server's own null sink with pacat and parec at the same buffer, in the same run. It prints the CPU
// each takes per second of audio (every process involved: the server, and for the device the driver
// host and the driver process), and the xruns at each buffer size while the other core is busy.
// BENCH_SECONDS sets each run's length (default 10; the goal is stated for 60).
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const { figure } = createRequire(import.meta.url)('../../../scripts/bench/figures.cjs');
const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '../../..');
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const socket = `/tmp/dk-audio-bench-${process.pid}.sock`;

const cpuOf = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in seconds (USER_HZ 100)
};
const pulse = Number(execFileSync('pgrep', ['-o', '-x', 'pulseaudio'], { encoding: 'utf8' }).trim());

/** Plays a sine into `sink` and records `source` for `seconds`, at `frames` of buffer; counts the player's and recorder's underruns and overruns. */
async function stream(sink, source, frames, pids) {
  const bytes = frames * 4;
  const spec = ['--format=s16le', '--rate=48000', '--channels=2', '--raw', `--latency=${bytes}`, '--process-time=' + bytes / 2, '-v'];
  const play = spawn('pacat', ['--playback', `--device=${sink}`, ...spec], { stdio: ['pipe', 'ignore', 'pipe'] });
  const rec = spawn('parec', [`--device=${source}`, ...spec], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  for (const p of [play, rec]) p.stderr.on('data', (d) => (log += d));
  const chunk = Buffer.alloc(4800 * 4);
  for (let i = 0; i < 4800; i++) {
    const v = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 48000));
    chunk.writeInt16LE(v, i * 4);
    chunk.writeInt16LE(v, i * 4 + 2);
  }
  // Keep the player fed a little ahead of real time.
  const feeder = setInterval(() => play.stdin.write(chunk), 90);
  play.stdin.on('error', () => {});
  await new Promise((r) => setTimeout(r, 500));
  const all = [...pids, play.pid, rec.pid];
  const before = all.map(cpuOf);
  const start = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const cpu = all.map(cpuOf).reduce((s, c, i) => s + c - before[i], 0);
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  clearInterval(feeder);
  play.kill('SIGINT');
  rec.kill('SIGINT');
  await Promise.all([play, rec].map((p) => new Promise((r) => p.once('exit', r))));
  return { cpuPerSecond: cpu / wall, clientXruns: (log.match(/underrun|overflow|overrun/gi) ?? []).length };
}

async function deviceStatistics() {
  const out = execFileSync(process.execPath, [join(root, 'packages/driverkit/bin/driverkit.mjs'), 'ioreg', '-l', '-r', '-n', 'BenchAudioDriver', '--socket', socket], { encoding: 'utf8' });
  const n = (k) => Number(new RegExp(`"${k}"=(\\d+)`).exec(out.replace(/ /g, ''))?.[1] ?? NaN);
  return n('Underruns') + n('Overruns');
}

const host = spawn(process.execPath, [join(root, 'packages/driverkit/bin/driverkit.mjs'), 'run', join(here, 'fixtures/BenchAudio'), '--no-discover', '--family', join(here, '../dist/plugin.js'), '--socket', socket], { stdio: ['ignore', 'pipe', 'inherit'] });
let out = '';
host.stdout.on('data', (d) => (out += d));
while (!out.includes('following services')) await new Promise((r) => setTimeout(r, 50));
const started = /started BenchAudioDriver .*pid (\d+)\)/.exec(out);
if (!started) {
  console.error(`the bench's driver did not start (is the audio server running? scripts/setup.sh starts it):\n${out}`);
  host.kill('SIGINT');
  process.exit(1);
}
const driverPid = Number(started[1]);

console.log(`audio bench: 48 kHz stereo s16, ${seconds} s per run`);
const device = await stream('dk.Bench', 'dk.Bench.input', 1024, [pulse, host.pid, driverPid]);
const baseline = await stream('dk_null_baseline', 'dk_null_baseline.monitor', 1024, [pulse]);
console.log(`CPU per second of audio at 1024 frames: device ${(device.cpuPerSecond * 1000).toFixed(1)} ms, null sink ${(baseline.cpuPerSecond * 1000).toFixed(1)} ms`);
console.log(`  ratio ${(device.cpuPerSecond / baseline.cpuPerSecond).toFixed(2)} of the baseline; goal ≤ 1.5: ${device.cpuPerSecond / baseline.cpuPerSecond <= 1.5 ? 'met' : 'not met'}`);
figure({ figure: 'CPU per second of 48 kHz stereo at 1024 frames', value: device.cpuPerSecond * 1000, unit: 'ms', baseline: "the audio server's null sink", baselineValue: baseline.cpuPerSecond * 1000, goal: '≤ 1.5× baseline', met: device.cpuPerSecond / baseline.cpuPerSecond <= 1.5 });

// The other core busy, as the goal asks.
const busy = spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' });
let smallest = null;
for (const frames of [1024, 512, 256, 128]) {
  const before = await deviceStatistics();
  const d = await stream('dk.Bench', 'dk.Bench.input', frames, [pulse]);
  const counted = (await deviceStatistics()) - before;
  const b = await stream('dk_null_baseline', 'dk_null_baseline.monitor', frames, [pulse]);
  console.log(`${String(frames).padStart(5)} frames: device xruns ${counted} (its registry) + ${d.clientXruns} (pacat/parec); null sink ${b.clientXruns} (pacat/parec)`);
  if (counted + d.clientXruns === 0) smallest = frames;
}
busy.kill();
figure({ figure: `smallest buffer with zero xruns over ${seconds} s, other core busy`, value: smallest ?? NaN, unit: 'frames', goal: '≤ 256 frames', met: smallest !== null && smallest <= 256 });
console.log(`smallest buffer with zero xruns over ${seconds} s, other core busy: ${smallest ?? 'none'} frames; goal 256 (stretch 128): ${smallest !== null && smallest <= 256 ? 'met' : 'not met'}`);
host.kill('SIGINT');
await new Promise((r) => host.once('exit', r));
