import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

// The sample as a user runs it: `driverkit run` on the package, a keyboard on the virtual bench, the
// driver in its own process (the keyboard's reports reach it through the host), and the sample's
// client app subscribed to the event service's event stream.
const sample = join(__dirname, '..');
const bin = join(sample, '../../packages/driverkit/bin/driverkit.mjs');
const client = join(sample, 'dist/KeyboardClient.js');
const cts = join(sample, '../../../shared/data/hid/android-cts');
const exec = promisify(execFile);

async function runWithClient(env: Record<string, string>, seconds: number): Promise<{ host: string; client: string }> {
  const socket = join(mkdtempSync(join(tmpdir(), 'dk-hid-')), 'host.sock');
  const host: ChildProcess = spawn(process.execPath, [bin, 'run', sample, '--socket', socket], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let output = '';
  host.stdout!.on('data', (d) => (output += d));
  host.stderr!.on('data', (d) => (output += d));
  try {
    const end = Date.now() + 20_000;
    while (!output.includes('started HIDKeyboardDriver on')) {
      if (Date.now() > end || host.exitCode !== null) throw new Error(`the driver did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const { stdout } = await exec(process.execPath, [client, '--socket', socket, '--seconds', String(seconds)]);
    return { host: output, client: stdout };
  } finally {
    host.kill('SIGTERM');
    await new Promise((r) => host.once('exit', r));
  }
}

test('on the bench keyboard, the app receives the key events and reads the typed line', async () => {
  const { host, client: out } = await runWithClient({}, 4);
  expect(host).toMatch(/HIDKeyboardDriver - Hello World/);
  expect(host).toMatch(/started HIDKeyboardDriver on Virtual Keyboard .*score 7200, pid \d+/);
  expect(out).toMatch(/key down 0x7:0xe1\nkey down 0x7:0xb\n/); // shift, h
  const typed = JSON.parse(/typed: (".*")/.exec(out)![1]!) as string;
  expect(typed).toContain('\nHello from DriverKit!\n');
}, 40_000);

// Android's CTS test for the Microsoft Designer Keyboard: 14 recorded report sequences, and the key
// events Android must produce from them. Our events must be the same, and the text what they type.
const keycodes: Record<string, number> = { CTRL_LEFT: 0xe0, SHIFT_LEFT: 0xe1, ALT_LEFT: 0xe2, CTRL_RIGHT: 0xe4, SHIFT_RIGHT: 0xe5, ALT_RIGHT: 0xe6, SPACE: 0x2c, ENTER: 0x28 };
const usageOf = (k: string) => keycodes[k] ?? 0x04 + k.charCodeAt(0) - 65;

test('a recorded keyboard session becomes the key events Android expects, and the text that was typed', async () => {
  const hex = (s: string) => JSON.parse(s.replace(/\b0x([0-9a-fA-F]+)\b/g, (_m, h: string) => String(parseInt(h, 16))));
  const register = hex(readFileSync(join(cts, 'microsoft_designer_keyboard_register.json'), 'utf8')) as { name: string; vid: number; pid: number; descriptor: number[] };
  const cases = hex(readFileSync(join(cts, 'microsoft_designer_keyboard_keyeventtests.json'), 'utf8')) as Array<{ reports: number[][]; events: Array<{ action: string; keycode: string; metaState?: string }> }>;

  // The session as hid-recorder writes one, 10 ms between reports.
  const h = (bytes: number[]) => bytes.map((b) => b.toString(16).padStart(2, '0')).join(' ');
  const reports = cases.flatMap((c) => c.reports);
  const recording = [`D: 0`, `R: ${register.descriptor.length} ${h(register.descriptor)}`, `N: ${register.name}`, `I: 3 ${register.vid.toString(16)} ${register.pid.toString(16)}`, ...reports.map((r, i) => `E: ${(i * 0.01).toFixed(6)} ${r.length} ${h(r)}`)].join('\n');
  const file = join(mkdtempSync(join(tmpdir(), 'dk-hid-')), 'designer.hidrecord.txt');
  writeFileSync(file, recording);

  const expectedEvents = cases.flatMap((c) => c.events.map((e) => `key ${e.action.toLowerCase()} 0x7:0x${usageOf(e.keycode).toString(16)}`));
  let expectedText = '';
  for (const e of cases.flatMap((c) => c.events)) {
    const meta = e.metaState ?? '';
    if (e.action !== 'DOWN' || /CTRL|ALT/.test(meta) || /CTRL|ALT|SHIFT/.test(e.keycode)) continue;
    expectedText += e.keycode === 'SPACE' ? ' ' : e.keycode === 'ENTER' ? '\n' : /SHIFT/.test(meta) ? e.keycode : e.keycode.toLowerCase();
  }
  expect(expectedText).toBe('aXYer \n');

  const { host, client: out } = await runWithClient({ HID_REPLAY: file }, 3);
  expect(host).toMatch(/started HIDKeyboardDriver on Designer Keyboard \(Test\) \(com\.example\.apple-samplecode\.HIDKeyboardDriver\/DesignerKeyboard/);
  // The bench replays the session in a loop; a whole round starts right after an Enter is released.
  const lines = out.split('\n').filter((l) => l.startsWith('key '));
  const start = lines.indexOf('key up 0x7:0x28') + 1;
  expect(start).toBeGreaterThan(0);
  expect(lines.slice(start, start + expectedEvents.length)).toEqual(expectedEvents);
  const typed = JSON.parse(/typed: (".*")/.exec(out)![1]!) as string;
  expect(typed).toContain(`\n${expectedText}`);
}, 40_000);
