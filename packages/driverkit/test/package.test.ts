/**
 * Tests through the paths users take: the built package entry (ESM and CJS, through the exports map,
 * as another package imports it) and the `driverkit` command as npm links it.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = join(__dirname, '../../..');
const bin = join(root, 'node_modules/.bin/driverkit');

describe('the published entry', () => {
  const script = `
    const { OSSerializeBinary, OSUnserializeBinary, toOSDictionary, IOReturnError, kIOReturnBadArgument } = M;
    const d = toOSDictionary({ idVendor: 0x05ac, name: 'x' });
    const back = OSUnserializeBinary(OSSerializeBinary(d));
    let code = 0;
    try { OSUnserializeBinary(new Uint8Array(3)); } catch (e) { code = e.code; }
    console.log(JSON.stringify({ equal: back.isEqualTo(d), code, bad: kIOReturnBadArgument, isError: new IOReturnError(1, 'x') instanceof Error }));
  `;
  const expected = { equal: true, code: 0xe00002c2, bad: 0xe00002c2, isError: true };

  test('import resolves to the ESM build', async () => {
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', `import * as M from '@driverkit/driverkit'; ${script}`], { cwd: root });
    expect(JSON.parse(stdout)).toEqual(expected);
  });

  test('require resolves to the CJS build', async () => {
    const { stdout } = await run(process.execPath, ['-e', `const M = require('@driverkit/driverkit'); ${script}`], { cwd: root });
    expect(JSON.parse(stdout)).toEqual(expected);
  });
});

describe('the driverkit command', () => {
  test('demo serializes, decodes and prints a registry entry as ioreg does', async () => {
    const { stdout } = await run(bin, ['demo']);
    expect(stdout).toContain('0x0004  0x81000015  dictionary 21 END');
    expect(stdout).toContain('Decoded again: 21 properties, equal to the original: yes');
    expect(stdout).toContain('sessionID kept all 64 bits: 0x123456789abcdef0');
    expect(stdout).toContain('read back equal: yes');
    expect(stdout).toContain('      "idVendor" = 1452');
    expect(stdout).toContain('      "DeviceDescriptor" = <1201000200000008ac055002000101020301>');
  });

  test('plist prints a property list; a broken one fails naming file and line', async () => {
    const { stdout } = await run(bin, ['plist', join(__dirname, 'fixtures/Info.plist')]);
    expect(stdout).toContain('"IOKitPersonalities" = {"NullDriver"={');
    expect(stdout).toContain('"SessionCookie" = 18446744073709551615');
    const dir = mkdtempSync(join(tmpdir(), 'dk-cli-'));
    const broken = join(dir, 'Info.plist');
    writeFileSync(broken, '<plist>\n<dict>\n<key>a</key>\n<integer>x</integer>\n</dict>\n</plist>\n');
    await expect(run(bin, ['plist', broken])).rejects.toMatchObject({
      code: 1,
      stderr: `driverkit: ${broken}: property list, line 4 column 1: <integer>x</integer> is not an integer: kIOReturnBadArgument (0xe00002c2)\n`,
    });
  });

  test('an unknown command prints usage and fails', async () => {
    await expect(run(bin, ['frobnicate'])).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('unknown command "frobnicate"') });
  });
});

describe('every published @driverkit package, as built', () => {
  // Found the way the host finds families (node_modules/@driverkit), so the core names none of them.
  const scope = join(root, 'node_modules/@driverkit');
  const published = readdirSync(scope)
    .map((name) => ({ name: `@driverkit/${name}`, manifest: JSON.parse(readFileSync(join(scope, name, 'package.json'), 'utf8')) as { private?: boolean } }))
    .filter((p) => !p.manifest.private)
    .map((p) => p.name);

  test('is found', () => {
    expect(published).toEqual(expect.arrayContaining(['@driverkit/driverkit', '@driverkit/usbdriverkit', '@driverkit/hiddriverkit']));
  });

  // A bundler renames a class that refers to itself (`var OSArray = class _OSArray`); getClassName(),
  // IOProviderClass matching and ioreg all read class names, so each must equal its export's name.
  test.each(published)('%s keeps every exported class name, in ESM and CJS', async (name) => {
    const check = `
      const bad = Object.entries(M).filter(([k, v]) => typeof v === 'function' && /^[A-Z]/.test(k) && v.prototype && v.name !== k).map(([k, v]) => k + ' is named ' + v.name);
      console.log(JSON.stringify({ classes: Object.values(M).filter((v) => typeof v === 'function' && v.prototype).length, bad }));
    `;
    const esm = JSON.parse((await run(process.execPath, ['--input-type=module', '-e', `import * as M from '${name}'; ${check}`], { cwd: root })).stdout);
    const cjs = JSON.parse((await run(process.execPath, ['-e', `const M = require('${name}'); ${check}`], { cwd: root })).stdout);
    expect(esm.bad).toEqual([]);
    expect(cjs.bad).toEqual([]);
    expect(cjs.classes).toBe(esm.classes);
  });
});
