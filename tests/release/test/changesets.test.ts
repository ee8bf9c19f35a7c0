/**
 * A release as `npm run version-packages` and `npm run release` make it, on a clone of the repository:
 * `changeset version` bumps exactly the packages with pending changesets and their internal dependents
 * and writes their CHANGELOGs; `changeset publish` publishes the built packages to a local registry
 * (verdaccio on loopback, started and stopped here); a fresh project installs a family from it by name.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const root = join(__dirname, '../../..');
const work = mkdtempSync(join(tmpdir(), 'dk-changesets-'));
const copy = join(work, 'repo');
const changeset = (args: string[], env: NodeJS.ProcessEnv = process.env) => exec(process.execPath, [join(root, 'node_modules/@changesets/cli/bin.js'), ...args], { cwd: copy, env, timeout: 120_000 });

type Bump = 'major' | 'minor' | 'patch';
interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  dependencies?: Record<string, string>;
}

const folders = readdirSync(join(root, 'packages')).filter((p) => existsSync(join(root, 'packages', p, 'package.json')));
const manifest = (folder: string): Manifest => JSON.parse(readFileSync(join(copy, 'packages', folder, 'package.json'), 'utf8')) as Manifest;

/** The pending changesets: each one's bumps by package name, and its summary. */
function pendingChangesets(): Array<{ bumps: Map<string, Bump>; summary: string }> {
  const dir = join(copy, '.changeset');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.md') && f !== 'README.md')
    .map((f) => {
      const [, front, summary] = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(readFileSync(join(dir, f), 'utf8'))!;
      const bumps = new Map<string, Bump>();
      for (const line of front!.split('\n')) {
        const m = /^['"]?([^'"]+)['"]?:\s*(major|minor|patch)$/.exec(line.trim());
        if (m) bumps.set(m[1]!, m[2] as Bump);
      }
      return { bumps, summary: summary!.trim() };
    });
}

function bumped(version: string, b: Bump | undefined): string {
  const [major, minor, patch] = version.split('.').map(Number) as [number, number, number];
  return b === 'major' ? `${major + 1}.0.0` : b === 'minor' ? `${major}.${minor + 1}.0` : b === 'patch' ? `${major}.${minor}.${patch + 1}` : version;
}

/** Whether `version` is within a caret range (the only kind the packages use for each other). */
function withinCaret(version: string, range: string): boolean {
  const m = /^\^(\d+)\.(\d+)\.(\d+)$/.exec(range);
  if (!m) throw new Error(`not a caret range: ${range}`);
  const [a, b, c] = m.slice(1).map(Number) as [number, number, number];
  const [x, y, z] = version.split('.').map(Number) as [number, number, number];
  const atLeast = x > a || (x === a && (y > b || (y === b && z >= c)));
  return atLeast && (a > 0 ? x === a : b > 0 ? x === 0 && y === b : x === 0 && y === 0 && z === c);
}

/**
 * What changesets must do with them (the oracle): each package's highest bump; an internal dependent
 * whose range the new version leaves gets a patch (and its range follows).
 */
function expectedVersions(): Map<string, string> {
  const order: Bump[] = ['patch', 'minor', 'major'];
  const bump = new Map<string, Bump>();
  for (const c of pendingChangesets()) for (const [name, b] of c.bumps) if (!bump.has(name) || order.indexOf(b) > order.indexOf(bump.get(name)!)) bump.set(name, b);
  const published = folders.map(manifest).filter((m) => !m.private);
  const current = new Map(published.map((m) => [m.name, m.version]));
  for (let changed = true; changed; ) {
    changed = false;
    for (const m of published) {
      if (bump.has(m.name)) continue;
      const left = Object.entries(m.dependencies ?? {}).some(([d, range]) => bump.has(d) && !withinCaret(bumped(current.get(d)!, bump.get(d)), range));
      if (left) (bump.set(m.name, 'patch'), (changed = true));
    }
  }
  return new Map(published.map((m) => [m.name, bumped(m.version, bump.get(m.name))]));
}

let registry: ChildProcess | null = null;
/** The local registry, once the publish test has started it and published there. */
let registryURL: string | null = null;

beforeAll(async () => {
  await exec('git', ['clone', '--quiet', root, copy]);
  await exec('git', ['-C', copy, 'config', 'user.email', 'release-test@driverkit.invalid']);
  await exec('git', ['-C', copy, 'config', 'user.name', 'release test']);
  // The builds `npm run release` would make (turbo has made them before this test runs).
  for (const f of folders) {
    cpSync(join(root, 'packages', f, 'dist'), join(copy, 'packages', f, 'dist'), { recursive: true });
  }
}, 60_000);

afterAll(async () => {
  if (registry && registry.exitCode === null) {
    const gone = new Promise((r) => registry!.once('exit', r));
    registry.kill();
    await gone;
  }
  rmSync(work, { recursive: true, force: true });
});

test('changeset version takes each package with pending changesets (and its internal dependents) to its next version, writes its CHANGELOG, and leaves the private packages alone', async () => {
  const before = new Map(folders.map((f) => [f, manifest(f)]));
  const pending = pendingChangesets();
  const expected = expectedVersions();
  expect(pending.length).toBeGreaterThan(0);
  await changeset(['version']);
  for (const f of folders) {
    const m = manifest(f);
    expect({ name: m.name, version: m.version }).toEqual({ name: m.name, version: expected.get(m.name) });
    const log = join(copy, 'packages', f, 'CHANGELOG.md');
    if (m.version === before.get(f)!.version) continue;
    // As the CHANGELOG's markdown has them: `OS*` is written `OS\\*`.
    const text = readFileSync(log, 'utf8').replace(/\\([*_[\]])/g, '$1');
    expect(text).toContain(`## ${m.version}`);
    // Every changeset that named the package is in its CHANGELOG, in its own words.
    for (const c of pending.filter((c) => c.bumps.has(m.name))) expect({ package: m.name, has: text.includes(c.summary.split('\n')[0]!) }).toEqual({ package: m.name, has: true });
    // Internal dependencies follow the versions just made.
    for (const [d, range] of Object.entries(m.dependencies ?? {})) if (expected.has(d)) expect({ dependency: `${m.name} → ${d}`, range }).toEqual({ dependency: `${m.name} → ${d}`, range: `^${expected.get(d)}` });
  }
  // The changesets were consumed; samples and tests (private) are not versioned.
  expect(pendingChangesets()).toEqual([]);
  for (const s of readdirSync(join(copy, 'samples'))) expect((JSON.parse(readFileSync(join(copy, 'samples', s, 'package.json'), 'utf8')) as Manifest).version).toBe('0.0.0');
  await exec('git', ['-C', copy, 'add', '-A']);
  await exec('git', ['-C', copy, 'commit', '--quiet', '-m', 'Version packages']);
});

test('later changesets bump their packages, and the dependents only when a new version leaves their range', async () => {
  const before = new Map(folders.map((f) => [manifest(f).name, manifest(f).version]));
  writeFileSync(join(copy, '.changeset', 'usb-feature.md'), "---\n'@driverkit/usbdriverkit': minor\n---\n\nA feature of the USB family.\n");
  writeFileSync(join(copy, '.changeset', 'pci-fix.md'), "---\n'@driverkit/pcidriverkit': patch\n---\n\nA fix in the PCI family.\n");
  const expected = expectedVersions();
  await changeset(['version']);
  const after = new Map(folders.map((f) => [manifest(f).name, manifest(f).version]));
  const moved = [...after].filter(([n, v]) => v !== before.get(n)).map(([n]) => n).sort();
  // PCI; USB, and HID and serial, whose ^0.x ranges a minor of USB leaves. Nothing else.
  expect(moved).toEqual(['@driverkit/hiddriverkit', '@driverkit/pcidriverkit', '@driverkit/serialdriverkit', '@driverkit/usbdriverkit']);
  expect(after).toEqual(expected);
  expect(manifest('hiddriverkit').dependencies!['@driverkit/usbdriverkit']).toBe(`^${after.get('@driverkit/usbdriverkit')}`);
  expect(readFileSync(join(copy, 'packages/usbdriverkit/CHANGELOG.md'), 'utf8')).toMatch(/## \d+\.\d+\.0\n\n### Minor Changes\n\n- A feature of the USB family\./);
  expect(readFileSync(join(copy, 'packages/hiddriverkit/CHANGELOG.md'), 'utf8')).toMatch(/### Patch Changes\n\n- Updated dependencies\n/);
  await exec('git', ['-C', copy, 'add', '-A']);
  await exec('git', ['-C', copy, 'commit', '--quiet', '-m', 'Version packages']);
});

test('changeset publish publishes every package to a registry, and a fresh project installs a family from it by name', async () => {
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  const url = `http://127.0.0.1:${port}/`;
  const storage = join(work, 'registry');
  mkdirSync(storage);
  writeFileSync(
    join(storage, 'config.yaml'),
    [`storage: ${join(storage, 'packages')}`, 'auth:', '  htpasswd:', `    file: ${join(storage, 'htpasswd')}`, 'packages:', "  '@driverkit/*':", '    access: $all', '    publish: $authenticated', 'log: { type: stdout, format: pretty, level: warn }', ''].join('\n'),
  );
  registry = spawn(join(root, 'tests/release/node_modules/.bin/verdaccio'), ['--config', join(storage, 'config.yaml'), '--listen', `127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let said = '';
  registry.stdout!.on('data', (d: Buffer) => (said += d.toString()));
  registry.stderr!.on('data', (d: Buffer) => (said += d.toString()));
  let token = '';
  for (const end = Date.now() + 30_000; !token; ) {
    if (Date.now() > end || registry.exitCode !== null) throw new Error(`the registry did not come up:\n${said}`);
    token = await fetch(`${url}-/user/org.couchdb.user:release`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'release', password: 'release-test-password' }) })
      .then((r) => r.json() as Promise<{ token?: string }>)
      .then((j) => j.token ?? '')
      .catch(() => '');
    if (!token) await new Promise((r) => setTimeout(r, 200));
  }
  const npmrc = join(work, 'publisher.npmrc');
  writeFileSync(npmrc, `registry=${url}\n//127.0.0.1:${port}/:_authToken=${token}\n`);
  const env = { ...process.env, NPM_CONFIG_USERCONFIG: npmrc, npm_config_registry: url };
  const { stdout, stderr } = await changeset(['publish'], env);
  const versions = new Map(folders.map((f) => [manifest(f).name, manifest(f).version]));
  for (const [name, version] of versions) {
    expect(`${stdout}${stderr}`).toContain(`${name}@${version}`);
    const { stdout: v } = await exec('npm', ['view', `${name}@${version}`, 'version', '--registry', url], { env });
    expect({ name, published: v.trim() }).toEqual({ name, published: version });
  }
  // A user's project: only the @driverkit scope comes from that registry; everything else as usual.
  const project = join(work, 'user-project');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'user-project', version: '1.0.0', private: true }));
  writeFileSync(join(project, '.npmrc'), `@driverkit:registry=${url}\n`);
  await exec('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', '@driverkit/pcidriverkit'], { cwd: project, timeout: 180_000 });
  const installed = (p: string) => (JSON.parse(readFileSync(join(project, 'node_modules/@driverkit', p, 'package.json'), 'utf8')) as Manifest).version;
  expect(installed('pcidriverkit')).toBe(versions.get('@driverkit/pcidriverkit'));
  expect(installed('driverkit')).toBe(versions.get('@driverkit/driverkit'));
  expect((JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')) as Manifest).dependencies).toEqual({ '@driverkit/pcidriverkit': `^${versions.get('@driverkit/pcidriverkit')}` });
  const { stdout: name } = await exec(process.execPath, ['--input-type=module', '-e', "import { IOPCIDevice } from '@driverkit/pcidriverkit'; console.log(IOPCIDevice.name)"], { cwd: project });
  expect(name.trim()).toBe('IOPCIDevice');
  const { stdout: help } = await exec(join(project, 'node_modules/.bin/driverkit'), ['help'], { cwd: project });
  expect(help).toMatch(/^usage: driverkit <command>/);
  registryURL = url;
}, 240_000);

test.each(['pci', 'usb', 'hid', 'serial', 'net', 'audio'])('driverkit new --family %s, with the core and the family from the registry, scaffolds a driver whose npm test passes as generated', async (family) => {
  const url = registryURL!;
  const userConfig = join(work, 'user.npmrc');
  writeFileSync(userConfig, `@driverkit:registry=${url}\n`);
  const env = { ...process.env, NPM_CONFIG_USERCONFIG: userConfig, npm_config_prefer_offline: 'true' };
  // The command as a user gets it: the core installed by name.
  const tools = join(work, `tools-${family}`);
  mkdirSync(tools);
  writeFileSync(join(tools, 'package.json'), '{ "private": true }\n');
  await exec('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', '@driverkit/driverkit'], { cwd: tools, env, timeout: 180_000 });
  const name = `My${family[0]!.toUpperCase()}${family.slice(1)}Driver`;
  const made = await exec(join(tools, 'node_modules/.bin/driverkit'), ['new', name, '--family', family], { cwd: work, env, timeout: 240_000 });
  expect(made.stdout).toContain(`driverkit new: ${name}, `);
  const project = join(work, name);
  expect(Object.keys((JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies).sort()).toEqual(['@driverkit/driverkit', `@driverkit/${family === 'net' ? 'networking' : family}driverkit`].sort());
  const { stdout } = await exec('npm', ['test'], { cwd: project, env, timeout: 180_000 }).catch((e: { stdout: string; stderr: string }) => {
    throw new Error(`npm test of the scaffold failed:\n${e.stdout}\n${e.stderr}`);
  });
  expect(stdout).toMatch(/^# pass 1$/m);
  expect(stdout).toMatch(/^# fail 0$/m);
}, 300_000);
