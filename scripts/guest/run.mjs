#!/usr/bin/env node
// Boots the guest (a Debian kernel under QEMU's software emulation, the host's root read-only over
// 9p) and runs one command inside it, from the current folder, as root. Streams the guest's output,
// exits with the command's status, and always ends the guest: on completion it powers itself off; on
// timeout QEMU is killed and the run reported.
//
//   node scripts/guest/run.mjs [--timeout <seconds>] -- <command…>
//
// Exit codes: the command's own; 124 when the guest timed out; 125 when it could not boot.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const dash = argv.indexOf('--');
const options = dash >= 0 ? argv.slice(0, dash) : [];
const command = dash >= 0 ? argv.slice(dash + 1) : argv;
const timeoutAt = options.indexOf('--timeout');
const timeoutSeconds = timeoutAt >= 0 ? Number(options[timeoutAt + 1]) : Number(process.env.DRIVERKIT_GUEST_TIMEOUT ?? 900);
if (command.length === 0) {
  console.error('usage: node scripts/guest/run.mjs [--timeout <seconds>] -- <command…>');
  process.exit(2);
}

const cannotBoot = (why) => {
  console.log(`guest: the guest cannot boot here: ${why}`);
  process.exit(125);
};

const setup = spawnSync('bash', [join(here, 'setup.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
if (setup.status !== 0) cannotBoot('scripts/guest/setup.sh failed');
const [kernel, initramfs] = setup.stdout.trim().split('\n').pop().split(' ');

// The job: a shell script on the host's disk (the guest's /tmp is its own), naming the folder and command.
const cache = process.env.DRIVERKIT_GUEST_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'driverkit-guest');
const jobs = join(cache, 'jobs');
mkdirSync(jobs, { recursive: true });
const job = join(jobs, `job-${process.pid}-${Date.now()}.sh`);
const quote = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;
writeFileSync(job, `set -u\ncd ${quote(process.cwd())} || { echo "guest: cannot enter ${process.cwd()} inside the guest"; exit 126; }\nexport NODE_OPTIONS=--max-old-space-size=1536\n${command.map(quote).join(' ')}\n`);

const qemu = spawn(
  'qemu-system-x86_64',
  [
    '-accel', 'tcg', '-cpu', 'max', '-m', '2048', '-smp', '2',
    // q35 with a virtual IOMMU, so a PCI function can be given to user space through VFIO (Debian's
    // kernel has no no-IOMMU mode); QEMU's educational device is the real PCI function the tests drive.
    '-machine', 'q35', '-device', 'intel-iommu', '-device', 'edu',
    '-kernel', kernel, '-initrd', initramfs,
    '-append', `console=ttyS0 panic=-1 loglevel=4 intel_iommu=on driverkit.job=${job}`,
    '-nographic', '-no-reboot', '-nic', 'none',
    '-virtfs', 'local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap',
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const started = Date.now();
let exitCode = null;
let pending = '';
let up = false;
qemu.stdout.on('data', (chunk) => {
  pending += chunk.toString('utf8').replace(/\r/g, '');
  let nl;
  while ((nl = pending.indexOf('\n')) >= 0) {
    // The firmware and kernel clear the screen with escape sequences; they are not the job's output.
    const line = pending.slice(0, nl).replace(/\x1b(\[[0-9;?]*[A-Za-z]|c)/g, '');
    pending = pending.slice(nl + 1);
    const m = /DRIVERKIT-GUEST-EXIT (\d+)/.exec(line);
    if (m) exitCode = Number(m[1]);
    else if (exitCode !== null) continue; // the kernel's power-down chatter
    else if (line.includes('DRIVERKIT-GUEST: up')) {
      up = true;
      console.log(`guest: up after ${((Date.now() - started) / 1000).toFixed(0)} s`);
    } else if (up || line.startsWith('DRIVERKIT-GUEST')) process.stdout.write(`${line}\n`);
  }
});
qemu.on('error', (e) => cannotBoot(`cannot start qemu-system-x86_64 (${e.message})`));
const timer = setTimeout(() => {
  console.log(`guest: timed out after ${timeoutSeconds} s; killing QEMU`);
  exitCode = 124;
  qemu.kill('SIGKILL');
}, timeoutSeconds * 1000);
// Whatever ends this runner ends the guest too.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => qemu.kill('SIGKILL'));
qemu.on('exit', (code, signal) => {
  clearTimeout(timer);
  rmSync(job, { force: true });
  if (exitCode === null) {
    console.log(`guest: QEMU ended (${signal ?? `code ${code}`}) before the job reported a status${up ? '' : ': the guest never came up'}`);
    exitCode = up ? 1 : 125;
  }
  console.log(`guest: finished in ${((Date.now() - started) / 1000).toFixed(0)} s with status ${exitCode}`);
  process.exit(exitCode);
});
