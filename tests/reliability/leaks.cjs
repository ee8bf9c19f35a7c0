// The leak checker `npm test` ends with: what the system holds that the project's code makes (driver and
// host processes, /dev/shm regions, network interfaces and namespaces, tty links, audio FIFOs, audio
// server modules, host sockets still listening) is listed before the run and after it, and whatever is new after it is a leak: a test,
// a host or a driver left it behind. Each leak is named with what it is, so the test that left it can
// be found.
const { execFileSync } = require('node:child_process');
const { existsSync, readdirSync, readFileSync } = require('node:fs');


/** Runs a command for its output; a command this machine lacks holds nothing to leak. */
function output(command, args) {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 });
  } catch {
    return '';
  }
}

const list = (dir) => (existsSync(dir) ? readdirSync(dir) : []);

/** The processes of the project's code: driver processes (the core's server entry) and hosts (the driverkit command). */
function processes() {
  const found = [];
  for (const pid of list('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    let args;
    try {
      args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    } catch {
      continue; // it ended meanwhile
    }
    if (/driverkit\/(dist|src)\/server\/main|bin\/driverkit\.mjs|dist\/cli\/driverkit\.[cm]?js/.test(args)) found.push(`pid ${pid}: ${args}`);
  }
  return found;
}

/**
 * Host sockets something still listens on (the kernel's table of bound Unix sockets): a host, or a
 * test's in-process IOHostSocket, that was never closed, whatever process holds it.
 */
function hostSockets() {
  let table = '';
  try {
    table = readFileSync('/proc/net/unix', 'utf8');
  } catch {
    return [];
  }
  const paths = table.split('\n').slice(1).map((l) => l.trim().split(/\s+/)[7]).filter((p) => p && /(^|\/)host\.sock$|\/driverkit\/[^/]+\.sock$/.test(p));
  return [...new Set(paths)];
}

/** What the system holds of the project's making, by kind. */
function snapshot(dirs = {}) {
  const tty = dirs.tty ?? process.env.DRIVERKIT_TTY_DIR ?? '/run/driverkit/tty';
  const audio = dirs.audio ?? process.env.DRIVERKIT_AUDIO_DIR ?? '/run/driverkit/audio';
  return {
    'driver or host process': processes(),
    'shared memory (/dev/shm)': list(dirs.shm ?? '/dev/shm').filter((n) => n.startsWith('driverkit.')),
    'network interface': output('ip', ['-o', 'link', 'show']).split('\n').map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1]).filter(Boolean),
    'network namespace': output('ip', ['netns', 'list']).split('\n').map((l) => l.split(' ')[0]).filter(Boolean),
    [`tty link (${tty})`]: list(tty),
    [`audio FIFO (${audio})`]: list(audio),
    'listening host socket': hostSockets(),
    'audio server module': output('pactl', ['list', 'short', 'modules']).split('\n').filter((l) => /\bdk\.|driverkit/.test(l)).map((l) => l.split('\t').slice(0, 2).join(' ')),
  };
}

/** What `after` holds that `before` did not, as one line per leak. */
function leaks(before, after) {
  const found = [];
  for (const [kind, items] of Object.entries(after)) {
    const had = new Set(before[kind] ?? []);
    // A process is known by its pid; everything else by its name.
    const key = (item) => (kind === 'driver or host process' ? item.split(':')[0] : item);
    const hadKeys = new Set([...had].map(key));
    for (const item of items) if (!hadKeys.has(key(item))) found.push(`${kind}: ${item}`);
  }
  return found;
}

/**
 * The leaks of a run that began with `before`. Processes get `graceMs` to finish exiting (a host that
 * was told to stop may still be stopping when its test's runner ends). `only` narrows what counts (a
 * test of this checker looks at its own leftovers while others run beside it).
 */
async function leaksSince(before, graceMs = 5000, dirs = {}, only = () => true) {
  const end = Date.now() + graceMs;
  for (;;) {
    const found = leaks(before, snapshot(dirs)).filter(only);
    if (found.length === 0 || Date.now() >= end) return found;
    await new Promise((r) => setTimeout(r, 250));
  }
}

module.exports = { snapshot, leaks, leaksSince };
