// The leak checker against real leftovers of each kind it knows, made and removed by the test.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { leaks, leaksSince, snapshot } = require('../leaks.cjs') as typeof import('../leaks.cjs');

const dirs = (() => {
  const root = mkdtempSync(join(tmpdir(), 'dk-leaks-'));
  const d = { tty: join(root, 'tty'), audio: join(root, 'audio') };
  mkdirSync(d.tty);
  mkdirSync(d.audio);
  return d;
})();

// Other packages' tests run beside these and make (and clean up) their own: each test counts only what it made.
const mine = (...marks: Array<string | number | undefined>) => (leak: string) => marks.some((m) => m !== undefined && leak.includes(String(m)));

test('what a run adds is a leak, named by kind; what it takes away again is not', async () => {
  const before = snapshot(dirs);
  // A host that was never stopped: the command's script in its arguments.
  const host = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', '/opt/app/node_modules/@driverkit/driverkit/bin/driverkit.mjs', 'run'], { stdio: 'ignore' });
  const shm = `/dev/shm/driverkit.${process.pid}.leaktest`;
  // A host socket nobody closed (an in-process host a test forgot).
  const server = createServer();
  const sock = join(mkdtempSync(join(tmpdir(), 'dk-leaks-sock-')), 'host.sock');
  try {
    writeFileSync(shm, 'x');
    execFileSync('ip', ['link', 'add', 'dkleak0', 'type', 'veth', 'peer', 'name', 'dkleak1']);
    writeFileSync(join(dirs.tty, 'cu.leak0'), '');
    await new Promise<void>((r) => server.listen(sock, r));
    await new Promise((r) => setTimeout(r, 100));
    const found = leaks(before, snapshot(dirs)).filter(mine(`pid ${host.pid}:`, 'leaktest', 'dkleak', 'cu.leak0', sock));
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^driver or host process: pid ${host.pid}: .*bin/driverkit\\.mjs run$`)),
        `shared memory (/dev/shm): driverkit.${process.pid}.leaktest`,
        'network interface: dkleak0',
        'network interface: dkleak1',
        `tty link (${dirs.tty}): cu.leak0`,
        `listening host socket: ${sock}`,
      ]),
    );
    expect(found).toHaveLength(6);
  } finally {
    await new Promise((r) => server.close(r));
    host.kill('SIGKILL');
    rmSync(shm, { force: true });
    execFileSync('ip', ['link', 'del', 'dkleak0'], { stdio: 'ignore' });
    rmSync(join(dirs.tty, 'cu.leak0'), { force: true });
  }
  expect(await leaksSince(before, 2000, dirs, mine(`pid ${host.pid}:`, 'leaktest', 'dkleak', 'cu.leak0', sock))).toEqual([]);
});

test('a process still ending when the run ends gets its grace; one that does not is reported', async () => {
  const before = snapshot(dirs);
  const ending = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 400)', '/opt/app/node_modules/@driverkit/driverkit/dist/server/main.js'], { stdio: 'ignore' });
  expect(await leaksSince(before, 3000, dirs, mine(`pid ${ending.pid}:`))).toEqual([]);
  expect(ending.exitCode ?? (await new Promise((r) => ending.once('exit', r)))).toBe(0);
  const stuck = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', '/opt/app/node_modules/@driverkit/driverkit/dist/server/main.js'], { stdio: 'ignore' });
  try {
    expect(await leaksSince(before, 300, dirs, mine(`pid ${stuck.pid}:`, `pid ${ending.pid}:`))).toEqual([expect.stringContaining(`pid ${stuck.pid}: `)]);
  } finally {
    stuck.kill('SIGKILL');
  }
});
