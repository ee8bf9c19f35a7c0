#!/usr/bin/env node
// The README's test command: type-checks every package, runs every package's jest suite through
// turbo (dependencies built first), then prints one line with jest's totals across all packages,
// `N passed, N failed`, which CI reads as the run's verdict.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const workspaces = ['packages', 'samples', 'tests']
  .filter((d) => existsSync(join(root, d)))
  .flatMap((d) => readdirSync(join(root, d)).map((p) => join(root, d, p)))
  .filter((p) => existsSync(join(p, 'package.json')));

// Stale results from an earlier run must not be counted.
for (const w of workspaces) rmSync(join(w, '.jest-results.json'), { force: true });

const setup = spawnSync('bash', [join(root, 'scripts/setup.sh')], { stdio: 'inherit' });
if (setup.status !== 0) {
  console.log('0 passed, 1 failed');
  process.exit(1);
}

// What the system holds of the project's making before the run: whatever is new after it is a leak.
const { snapshot, leaksSince } = createRequire(import.meta.url)('../tests/reliability/leaks.cjs');
const before = snapshot();

const extra = process.argv.slice(2);
// A suite whose jest never exits (a test that failed before closing what it opened) must fail the run,
// not hold it until CI's own limit: the whole run gets 25 minutes ($DRIVERKIT_TEST_TIMEOUT_MIN).
const limitMin = Number(process.env.DRIVERKIT_TEST_TIMEOUT_MIN ?? 25);
const turboRun = (filters, minutes) =>
  spawnSync('npx', ['turbo', 'run', 'typecheck', 'test', '--continue', '--output-logs=full', ...filters.map((f) => `--filter=${f}`), ...extra], {
    cwd: root,
    stdio: 'inherit',
    env: { TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1', ...process.env },
    // spawnSync takes whole milliseconds only: what is left of the budget is a fraction of a minute.
    timeout: Math.floor(minutes * 60_000),
    killSignal: 'SIGKILL',
  });
// Three phases. The SimpleAudio sample counts its device's glitches across a live sample-rate switch: a
// real-time figure, which the other suites running beside it on two cores would starve (its stream then
// glitches whatever the switch does), so it runs alone after them. The reliability suite loads the machine
// on purpose (100 apps, a data queue at full rate, fuzzing): it runs last, so that no other suite meets that load.
const realtime = '@driverkit/sample-simpleaudio';
const started = Date.now();
const left = () => Math.max(1, limitMin - (Date.now() - started) / 60_000);
const phases = [['!@driverkit/reliability-tests', `!${realtime}`], [realtime], ['@driverkit/reliability-tests']];
const runs = [];
for (const filters of phases) {
  const run = turboRun(filters, left());
  runs.push(run);
  if (run.error?.code === 'ETIMEDOUT') break;
}
const turbo = { status: runs.every((r) => r.status === 0) ? 0 : 1, error: runs.find((r) => r.error)?.error };
if (turbo.error?.code === 'ETIMEDOUT') console.log(`the test run did not end within ${limitMin} minutes and was stopped: a suite's jest did not exit (look for "Jest did not exit" above)`);

let passed = 0;
let failed = 0;
let suitesFailed = 0;
const missing = [];
const failures = [];
// CI keeps only the end of the run's output: what failed is repeated there, each with the first lines of why.
const plain = (text) => text.replace(/\u001b\[[0-9;]*m/g, '');
const firstLines = (text, n) => plain(text).split('\n').filter((l) => l.trim() && !/node_modules|node:internal|<anonymous>/.test(l)).slice(0, n).map((l) => `      ${l.trim()}`).join('\n');
function failuresOf(results) {
  const out = [];
  for (const suite of results.testResults ?? []) {
    if (suite.status !== 'failed') continue;
    const file = suite.name.startsWith(root) ? suite.name.slice(root.length) : suite.name;
    const failedTests = (suite.assertionResults ?? []).filter((a) => a.status === 'failed');
    if (!failedTests.length) out.push(`  ${file}: the suite failed to run\n${firstLines(suite.message ?? '', 12)}`);
    for (const a of failedTests) out.push(`  ${file}: ${a.fullName}\n${firstLines(a.failureMessages.join('\n'), 12)}`);
  }
  return out;
}
for (const w of workspaces) {
  const pkg = JSON.parse(readFileSync(join(w, 'package.json'), 'utf8'));
  if (!pkg.scripts?.test) continue;
  const file = join(w, '.jest-results.json');
  if (!existsSync(file)) {
    missing.push(pkg.name);
    continue;
  }
  const r = JSON.parse(readFileSync(file, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  suitesFailed += r.numFailedTestSuites + (r.numRuntimeErrorTestSuites ?? 0);
  failures.push(...failuresOf(r));
}
const leaked = await leaksSince(before);
if (leaked.length) console.log(`leak check: ${leaked.length} thing(s) the run left behind:\n${leaked.map((l) => `  ${l}`).join('\n')}`);
else console.log('leak check: the run left nothing behind (processes, shared memory, interfaces, namespaces, tty links, audio FIFOs and modules, listening host sockets)');
if (missing.length) console.log(`no jest results from: ${missing.join(', ')} (their test task did not run to the end)`);
if (failures.length) console.log(`what failed:\n${failures.join('\n')}`);
if (suitesFailed) console.log(`${suitesFailed} test suite(s) failed`);
const ok = turbo.status === 0 && failed === 0 && suitesFailed === 0 && missing.length === 0 && leaked.length === 0;
// A suite that could not run, or a package whose tests never reported, counts as a failure so that the
// closing line can never read "0 failed" on a red run.
if (!ok && failed === 0) failed = Math.max(1, suitesFailed + missing.length + (leaked.length ? 1 : 0));
console.log(`${passed} passed, ${failed} failed`);
process.exit(ok ? 0 : 1);
