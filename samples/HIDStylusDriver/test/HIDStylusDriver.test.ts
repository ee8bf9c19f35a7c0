import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { kPointsPerStroke, penScript } from '../src/VirtualBench';

// The sample as a user runs it: `driverkit run` on the package, a pen tablet on the virtual bench (or
// a replayed recording), the driver in its own process, and the sample's app subscribed to the events.
const sample = join(__dirname, '..');
const bin = join(sample, '../../packages/driverkit/bin/driverkit.mjs');
const client = join(sample, 'dist/StylusClient.js');
const wacom = join(sample, '../../../shared/data/hid/wacom/recordings');
const exec = promisify(execFile);

/** Runs the host until `ready` appears in its output, then the client (if `seconds`), then stops it. */
async function run(env: Record<string, string>, ready: string, seconds: number | null): Promise<{ host: string; client: string }> {
  const socket = join(mkdtempSync(join(tmpdir(), 'dk-stylus-')), 'host.sock');
  const host: ChildProcess = spawn(process.execPath, [bin, 'run', sample, '--socket', socket], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let output = '';
  host.stdout!.on('data', (d) => (output += d));
  host.stderr!.on('data', (d) => (output += d));
  try {
    const end = Date.now() + 20_000;
    while (!output.includes(ready)) {
      if (Date.now() > end || host.exitCode !== null) throw new Error(`no "${ready}" from the host:\n${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const out = seconds === null ? '' : (await exec(process.execPath, [client, '--socket', socket, '--seconds', String(seconds)])).stdout;
    return { host: output, client: out };
  } finally {
    host.kill('SIGTERM');
    await new Promise((r) => host.once('exit', r));
  }
}

test('on the bench pen tablet, the app receives each stroke with the position, pressure and tilt the pen drew', async () => {
  const { host, client: out } = await run({}, 'started HIDStylusDriver on', 3);
  expect(host).toMatch(/HIDStylusDriver - 1 stylus collection\(s\) found/);
  expect(host).toMatch(/started HIDStylusDriver on Virtual Pen Tablet .*score 7200, pid \d+/);

  // What the script drew, scaled as the descriptor says: X 0…0x7FFF, Y 0…0x7FFF, pressure 0…0x1FFF,
  // tilt −127…127 with no physical range (so degrees as reported).
  const script = penScript();
  const f = (v: number, digits = 4) => (Math.round(v * 65536) / 65536).toFixed(digits);
  const strokes: string[][] = [];
  for (let i = 0; i < script.length; i++) {
    if (script[i]!.tip && !script[i - 1]!.tip) strokes.push([]);
    const s = script[i]!;
    if (s.tip) strokes.at(-1)!.push(`  (${f(s.x / 0x7fff)}, ${f(s.y / 0x7fff)}) pressure ${f(s.pressure / 0x1fff)} tilt ${f(s.tiltX, 1)}° ${f(s.tiltY, 1)}°`);
  }
  expect(strokes).toHaveLength(3);

  // The app may join mid-stroke: take the strokes after the first time the pen left range.
  const lines = out.split('\n');
  const after = lines.slice(lines.indexOf('out of range') + 1);
  const seen = after.map((l, i) => (l.startsWith('stroke ') ? after.slice(i + 1, i + 1 + kPointsPerStroke) : null)).filter((s) => s !== null);
  expect(seen.length).toBeGreaterThanOrEqual(3);
  for (const stroke of seen.slice(0, 3)) {
    const k = strokes.findIndex((s) => s[0] === stroke[0]);
    expect(k).toBeGreaterThanOrEqual(0);
    expect(stroke).toEqual(strokes[k]);
  }
}, 40_000);

test('a recorded Wacom PenPartner (056A:0061, named WACOM FT-0203-UV1.4-2) is declined by name: its pen reports are vendor-defined', async () => {
  const { host } = await run({ HID_REPLAY: join(wacom, 'Wacom_PenPartner__056a-0061.hidrecord.txt') }, 'HIDStylusDriver did not start', null);
  expect(host).toMatch(/HIDStylusDriver - No supported elements found: WACOM FT-0203-UV1.4-2 has no stylus or puck collection on the Digitizer page; its input reports 2, 99 are vendor-defined \(page 0xFF00\)/);
  expect(host).toMatch(/HIDStylusDriver did not start on WACOM FT-0203-UV1.4-2: .*kIOReturnUnsupported/);
}, 40_000);
