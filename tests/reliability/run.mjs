#!/usr/bin/env node
// `npm run reliability`: the long pass of the reliability and security suite, then one table of what
// it measured (report.mjs). Fuzzing 20,000 inputs per parser, 25 rounds of each fault, 60 s of load and
// 100 attempts per security check, unless FUZZ_RUNS, FAULT_ROUNDS, LOAD_SECONDS or SECURITY_ROUNDS say
// otherwise; then the leak check over everything the pass started.
//   --busy            also run the whole `npm test` with one core saturated, as a row of the table
//   --markdown FILE   also write the table as a page (docs/reliability.md is the one the README links)
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const here = new URL('.', import.meta.url).pathname;
const root = join(here, '../..');
const require = createRequire(import.meta.url);
const { clear, record, read } = require('./results.cjs');
const { snapshot, leaksSince } = require('./leaks.cjs');

const env = {
  ...process.env,
  FUZZ_RUNS: process.env.FUZZ_RUNS ?? '20000',
  FAULT_ROUNDS: process.env.FAULT_ROUNDS ?? '25',
  LOAD_SECONDS: process.env.LOAD_SECONDS ?? '60',
  SECURITY_ROUNDS: process.env.SECURITY_ROUNDS ?? '100',
};
clear();
const before = snapshot();
const started = Date.now();
const jest = spawnSync('npx', ['jest', '--testTimeout=900000', '--runInBand'], { cwd: here, stdio: 'inherit', env });

const leaked = await leaksSince(before);
record({
  area: 'leaks',
  check: 'after every fuzz input, fault, load and security check above',
  count: Object.keys(before).length,
  of: 'kinds checked',
  outcome: leaked.length ? 'FAILED' : 'held',
  figures: leaked.length
    ? `left behind: ${leaked.join('; ')}`
    : `nothing left in ${Math.round((Date.now() - started) / 1000)} s of runs: ${Object.keys(before).join(', ')}`,
});

if (process.argv.includes('--busy')) {
  // One core kept at 100 % by a process that does nothing else, for as long as the suite runs.
  const spinner = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
  const t = Date.now();
  // Its own reliability tests (the short pass) add rows to the same file: this table keeps the long pass's.
  const rows = read();
  const log = join(here, '.results', 'busy-npm-test.log');
  const run = spawnSync('bash', ['-c', `npm test > '${log}' 2>&1`], { cwd: root, env: { ...process.env, FORCE_COLOR: '0' } });
  spinner.kill('SIGKILL');
  clear();
  for (const { at: _at, ...row } of rows) record(row);
  const output = readFileSync(log, 'utf8');
  const verdict = /(\d+) passed, (\d+) failed\s*$/.exec(output.trim())?.slice(1) ?? ['0', '?'];
  const failures = [...new Set([...output.matchAll(/^(\S+):test:\s+(?:✕|●) (.+)$/gm)].filter((m) => m[2].trim() !== 'Console').map((m) => `${m[1]}: ${m[2].trim()}`))];
  record({
    area: 'busy machine',
    check: 'the whole npm test with the second core saturated',
    count: Number(verdict[0]) + Number(verdict[1]),
    of: 'tests',
    outcome: run.status === 0 ? 'held' : 'FAILED',
    figures: `${verdict[0]} passed, ${verdict[1]} failed in ${Math.round((Date.now() - t) / 60000)} min${failures.length ? `; failed: ${failures.join('; ')} (the whole output: ${log})` : ''}`,
  });
}

const i = process.argv.indexOf('--markdown');
const report = spawnSync(process.execPath, [join(here, 'report.mjs'), ...(i > 0 ? ['--markdown', join(process.env.INIT_CWD ?? process.cwd(), process.argv[i + 1])] : [])], { stdio: 'inherit', env });
process.exit(jest.status === 0 && report.status === 0 ? 0 : 1);
