/**
 * The packages as users get them. Every published package is packed with `npm pack`; each tarball must
 * hold its build and nothing else, within a size budget. Then each family is installed on its own into an
 * empty project outside the monorepo (its tarball and the core's, dependencies from npm's cache), where
 * it is imported as ESM and as CJS, an Apple sample ported to it is type-checked with `tsc --strict`
 * against the installed declarations and bundled, and the installed `driverkit run` runs it on the
 * family's virtual device while a client talks to it through the host's socket.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const root = join(__dirname, '../../..');
const work = mkdtempSync(join(tmpdir(), 'dk-release-'));
const packs = join(work, 'packs');

/** Bytes packed and unpacked each tarball may take: a quarter to a half above today's, so growth is a decision. */
const budgets: Record<string, { packed: number; unpacked: number }> = {
  driverkit: { packed: 1_300_000, unpacked: 5_200_000 },
  usbdriverkit: { packed: 300_000, unpacked: 1_300_000 },
  hiddriverkit: { packed: 330_000, unpacked: 1_300_000 },
  serialdriverkit: { packed: 150_000, unpacked: 600_000 },
  pcidriverkit: { packed: 240_000, unpacked: 950_000 },
  audiodriverkit: { packed: 150_000, unpacked: 600_000 },
  networkingdriverkit: { packed: 200_000, unpacked: 820_000 },
};

interface Tarball {
  name: string;
  file: string;
  size: number;
  unpackedSize: number;
  files: string[];
}
const tarballs = new Map<string, Tarball>();
/** Each package's manifest before packing, which packing must leave as it found it. */
const manifests = new Map<string, string>();

/** One file of a tarball, as text. */
const fromTarball = (t: Tarball, path: string) => execFileSync('tar', ['xzf', t.file, '-O', `package/${path}`], { encoding: 'utf8', maxBuffer: 64 << 20 });

/** Every file an exports map points at. */
function exportTargets(e: unknown): string[] {
  if (typeof e === 'string') return [e];
  if (typeof e !== 'object' || e === null) return [];
  return Object.values(e).flatMap(exportTargets);
}

beforeAll(async () => {
  mkdirSync(packs);
  for (const p of Object.keys(budgets)) {
    manifests.set(p, readFileSync(join(root, 'packages', p, 'package.json'), 'utf8'));
    const { stdout } = await exec('npm', ['pack', '--json', '--pack-destination', packs], { cwd: join(root, 'packages', p) });
    const [info] = JSON.parse(stdout.slice(stdout.indexOf('[\n'))) as Array<{ name: string; filename: string; size: number; unpackedSize: number; files: Array<{ path: string }> }>;
    tarballs.set(p, { name: info!.name, file: join(packs, info!.filename), size: info!.size, unpackedSize: info!.unpackedSize, files: info!.files.map((f) => f.path) });
  }
}, 120_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

test('each tarball holds its build and nothing else, within its budget, and its manifest points only into it', () => {
  const kB = (n: number) => `${(n / 1000).toFixed(0)} kB`.padStart(8);
  const rows: string[] = [];
  for (const [p, t] of tarballs) {
    const { packed, unpacked } = budgets[p]!;
    rows.push(`${t.name.padEnd(32)} ${String(t.files.length).padStart(3)} files ${kB(t.size)} packed (budget ${kB(packed)}) ${kB(t.unpackedSize)} unpacked (budget ${kB(unpacked)})`);
    // The build, the core's command, and a family's template for `driverkit new`.
    const stray = t.files.filter((f) => !['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE'].includes(f) && !f.startsWith('dist/') && !(p === 'driverkit' && f.startsWith('bin/')) && !f.startsWith('template/'));
    expect({ package: t.name, stray }).toEqual({ package: t.name, stray: [] });
    expect({ package: t.name, tests: t.files.filter((f) => /\.test\.|(^|\/)(src|test|fixtures)\//.test(f)) }).toEqual({ package: t.name, tests: [] });
    // The maps lead from the build to the package's own sources, never to a test or fixture.
    for (const map of t.files.filter((f) => f.endsWith('.map'))) {
      const sources = (JSON.parse(fromTarball(t, map)) as { sources: string[] }).sources;
      expect({ map: `${t.name}/${map}`, tests: sources.filter((s) => /\.test\.|\/test\/|\/fixtures\//.test(s)) }).toEqual({ map: `${t.name}/${map}`, tests: [] });
    }
    expect({ package: t.name, packed: t.size <= packed, unpacked: t.unpackedSize <= unpacked }).toEqual({ package: t.name, packed: true, unpacked: true });
    const text = fromTarball(t, 'package.json');
    // The monorepo's condition (sources in src/, which no tarball ships) must not reach consumers.
    expect(text).not.toContain('@driverkit/source');
    const manifest = JSON.parse(text) as { main: string; module: string; types: string; exports: unknown; bin?: Record<string, string>; scripts?: unknown; driverkit?: { hostPlugin?: string; template?: string } };
    expect(manifest.scripts).toBeUndefined();
    const template = manifest.driverkit?.template;
    const named = [manifest.main, manifest.module, manifest.types, ...exportTargets(manifest.exports), manifest.driverkit?.hostPlugin, template && `${template}/template.json`, ...Object.values(manifest.bin ?? {})]
      .filter((f): f is string => typeof f === 'string')
      .map((f) => f.replace(/^\.\//, ''));
    expect({ package: t.name, missing: named.filter((f) => !t.files.includes(f)) }).toEqual({ package: t.name, missing: [] });
  }
  process.stdout.write(`${rows.join('\n')}\n`);
  // Packing left every manifest as it was.
  for (const [p, text] of manifests) expect({ p, manifest: readFileSync(join(root, 'packages', p, 'package.json'), 'utf8') }).toEqual({ p, manifest: text });
  expect(Object.keys(budgets).filter((p) => existsSync(join(root, 'packages', p, '.package.json.unpacked')))).toEqual([]);
});

/** A family, the Apple sample ported to it, and how a client shows the driver working. */
interface Case {
  family: string;
  /** Family packages it needs besides itself and the core (their tarballs, as npm would fetch them). */
  brings: string[];
  /** An export whose class name must survive both builds. */
  className: string;
  sample: string;
  /** The client and what it must print; without one, `driverkit ioreg -l` is the client. */
  client: string[] | null;
  expected: RegExp[];
  env?: Record<string, string>;
}

const cases: Case[] = [
  { family: 'driverkit', brings: [], className: 'IOService', sample: 'NullDriver', client: ['dist/NullDriverClient.js', 'all'], expected: [/^Scalar: sent 0 1 2 .* 15; got 1 2 3 .* 16$/m, /^Async callback: success, type 2, foo 101 bar 210$/m] },
  { family: 'usbdriverkit', brings: [], className: 'IOUSBHostInterface', sample: 'MyUserUSBInterfaceDriver', client: null, expected: [/\+-o MyUserUSBInterfaceDriver {2}<class IOUserService/] },
  { family: 'hiddriverkit', brings: ['usbdriverkit'], className: 'IOUserHIDEventService', sample: 'HIDKeyboardDriver', client: ['dist/KeyboardClient.js', '--seconds', '3'], expected: [/key down 0x7:0x/, /typed: "/] },
  { family: 'serialdriverkit', brings: ['usbdriverkit'], className: 'IOUserSerial', sample: 'USBSerialACMDriver', client: ['dist/SerialClient.js'], expected: [/sent ".*", read back ".*"/, /modem status with DTR up/] },
  { family: 'pcidriverkit', brings: [], className: 'IOPCIDevice', sample: 'EduDriver', client: ['dist/EduClient.js'], expected: [/Opened a connection to EduDriver: edu 1\.0/, /Factorial: \d+! = \d+/, /DMA: sent \d+ bytes to the device and back, identical/] },
  { family: 'audiodriverkit', brings: [], className: 'IOUserAudioDriver', sample: 'SimpleAudio', client: ['dist/SimpleAudioClient.js', 'status'], expected: [/^SimpleAudioDevice: 44100 Hz$/m] },
  { family: 'networkingdriverkit', brings: [], className: 'IOUserNetworkEthernet', sample: 'NetworkingDriverKitSample', client: null, expected: [/\+-o NetworkingDriverKitSample {2}<class IOUserNetworkEthernet/] },
];

describe.each(cases)('@driverkit/$family installed on its own', (c) => {
  const project = join(work, c.sample);
  const sample = join(root, 'samples', c.sample);
  const tarball = (p: string) => `file:${tarballs.get(p)!.file}`;

  beforeAll(async () => {
    mkdirSync(project);
    // The sample's manifest as a user's package has it: the families from their tarballs, @types/node and
    // nothing of the monorepo's.
    const manifest = JSON.parse(readFileSync(join(sample, 'package.json'), 'utf8')) as Record<string, unknown> & { dependencies: Record<string, string> };
    const dependencies: Record<string, string> = {};
    for (const name of Object.keys(manifest.dependencies)) dependencies[name] = name.startsWith('@driverkit/') ? tarball(name.slice('@driverkit/'.length)) : manifest.dependencies[name]!;
    for (const p of ['driverkit', c.family, ...c.brings]) dependencies[`@driverkit/${p}`] = tarball(p);
    const typesNode = (JSON.parse(readFileSync(join(root, 'node_modules/@types/node/package.json'), 'utf8')) as { version: string }).version;
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: c.sample.toLowerCase(), version: '1.0.0', private: true, type: 'module', main: manifest.main, bin: manifest.bin, driverkit: manifest.driverkit, dependencies, devDependencies: { '@types/node': typesNode } }, null, 2));
    for (const f of readdirSync(sample)) if (f === 'Info.plist' || f.endsWith('.entitlements')) cpSync(join(sample, f), join(project, f));
    cpSync(join(sample, 'src'), join(project, 'src'), { recursive: true, filter: (f) => !f.endsWith('.test.ts') });
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { target: 'ES2022', lib: ['ES2023', 'ES2024.SharedMemory'], module: 'ESNext', moduleResolution: 'Bundler', strict: true, noImplicitOverride: true, skipLibCheck: true, types: ['node'], noEmit: true, esModuleInterop: true }, include: ['src'] }, null, 2),
    );
    await exec('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: project, timeout: 180_000 });
  }, 240_000);

  test(`imports as ESM and as CJS, with ${c.className} keeping its name`, async () => {
    const name = `@driverkit/${c.family}`;
    const esm = await exec(process.execPath, ['--input-type=module', '-e', `import * as M from '${name}'; console.log(M.${c.className}.name, Object.keys(M).length)`], { cwd: project });
    const cjs = await exec(process.execPath, ['-e', `const M = require('${name}'); console.log(M.${c.className}.name, Object.keys(M).length)`], { cwd: project });
    expect(esm.stdout).toMatch(new RegExp(`^${c.className} \\d+\\n$`));
    expect(cjs.stdout).toBe(esm.stdout);
    // Resolved from the install, never from the monorepo.
    const resolved = await exec(process.execPath, ['-p', `require.resolve('${name}')`], { cwd: project });
    expect(resolved.stdout.trim()).toBe(join(project, 'node_modules', name, 'dist/index.cjs'));
  });

  test(`${c.sample} type-checks with tsc --strict against the installed declarations`, async () => {
    await exec(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', project], { cwd: project }).catch((e: { stdout: string }) => {
      throw new Error(`tsc --strict failed:\n${e.stdout}`);
    });
  });

  test(`${c.sample} runs under the installed driverkit run on the virtual bench, and a client talks to it`, async () => {
    const entries = /entry:\s*\[([^\]]*)\]/.exec(readFileSync(join(sample, 'tsup.config.ts'), 'utf8'))![1]!.match(/src\/\w+\.ts/g)!;
    await exec(join(root, 'node_modules/.bin/esbuild'), [...entries, '--bundle', '--platform=node', '--format=esm', '--packages=external', '--target=node20', '--keep-names', '--outdir=dist', '--log-level=error'], { cwd: project });
    const socket = join(project, 'host.sock');
    const env = { ...process.env, DRIVERKIT_AUDIO_DIR: join(project, 'audio'), ...c.env };
    const host: ChildProcess = spawn(join(project, 'node_modules/.bin/driverkit'), ['run', '.', '--socket', socket], { cwd: project, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    host.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    host.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((r) => host.once('exit', (code) => r(code)));
    try {
      const end = Date.now() + 60_000;
      while (!output.includes('following services')) {
        if (Date.now() > end || host.exitCode !== null) throw new Error(`the host did not come up:\n${output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      // The families it found are the installed ones, from the project's node_modules.
      expect(output).toContain(c.family === 'driverkit' ? 'no installed family package offers a host plugin' : `@driverkit/${c.family}`);
      const client = c.client ? [process.execPath, [...c.client, '--socket', socket]] as const : [join(project, 'node_modules/.bin/driverkit'), ['ioreg', '-l', '--socket', socket]] as const;
      let said = '';
      const deadline = Date.now() + 20_000;
      // The driver's own Start may still be running when the host prints its tree.
      for (;;) {
        said = await exec(client[0], [...client[1]], { cwd: project, env, timeout: 30_000 }).then(
          (r) => r.stdout,
          (e: { stdout?: string; stderr?: string; message: string }) => `${e.stdout ?? ''}${e.stderr ?? e.message}`,
        );
        if (c.expected.every((re) => re.test(said)) || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      for (const re of c.expected) expect({ client: said, host: output }).toEqual({ client: expect.stringMatching(re), host: output });
    } finally {
      if (host.exitCode === null) host.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  });
});
