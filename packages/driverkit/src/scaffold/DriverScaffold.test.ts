import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { OSUnserializeXML, fromOSObject, kIOReturnBadArgument, kIOReturnExclusiveAccess, kIOReturnNotFound } from '../index';
import { DriverScaffold } from './DriverScaffold';
import { DriverTemplate } from './DriverTemplate';

const exec = promisify(execFile);
const bin = join(__dirname, '../../bin/driverkit.mjs');

/** A family package with a template, as one installed in node_modules would be. */
function family(manifest: Record<string, unknown>, files: Record<string, string> = { 'driver.ts': 'export class __NAME__ {}\n' }): string {
  const dir = mkdtempSync(join(tmpdir(), 'dk-family-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: '@example/thingdriverkit', version: '1.2.3', driverkit: { template: 'template' } }));
  mkdirSync(join(dir, 'template'));
  writeFileSync(join(dir, 'template/template.json'), JSON.stringify(manifest));
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, 'template', f), text);
  return dir;
}

const manifest = {
  description: 'a driver for a thing',
  personality: { IOProviderClass: 'IOThingDevice', idThing: 7 },
  entitlements: { 'com.example.transport.thing': [{ idThing: 7 }] },
  files: { 'src/__NAME__.ts': 'driver.ts' },
  virtualBench: 'dist/src/VirtualBench.js',
  expect: 'thing 7$',
};

test('a scaffold is an Apple-shaped package: Info.plist with the family\'s personality and the user client, entitlements, sources with the name put in', () => {
  const template = DriverTemplate.fromPackage(family(manifest));
  const files = new DriverScaffold({ name: 'MyThing', bundleIdentifier: 'com.example.MyThing', coreVersion: '0.4.0' }, template).files();
  const info = fromOSObject(OSUnserializeXML(files.get('Info.plist')!)) as { IOKitPersonalities: Record<string, Record<string, unknown>> };
  expect(info.IOKitPersonalities).toEqual({
    MyThing: {
      CFBundleIdentifier: '$(PRODUCT_BUNDLE_IDENTIFIER)',
      IOClass: 'IOUserService',
      IOProviderClass: 'IOThingDevice',
      idThing: 7,
      IOUserClass: 'MyThing',
      IOUserServerName: '$(PRODUCT_BUNDLE_IDENTIFIER)',
      UserClientProperties: { IOClass: 'IOUserUserClient', IOUserClass: 'MyThingUserClient' },
    },
  });
  expect(fromOSObject(OSUnserializeXML(files.get('MyThing.entitlements')!))).toEqual({
    'com.apple.developer.driverkit': true,
    'com.example.transport.thing': [{ idThing: 7 }],
    'com.apple.developer.driverkit.allow-any-userclient-access': true,
  });
  const pkg = JSON.parse(files.get('package.json')!) as Record<string, Record<string, string>>;
  expect(pkg.name).toBe('my-thing');
  expect(pkg.dependencies).toEqual({ '@driverkit/driverkit': '^0.4.0', '@example/thingdriverkit': '^1.2.3' });
  expect(pkg.driverkit).toEqual({ bundleIdentifier: 'com.example.MyThing', virtualBench: 'dist/src/VirtualBench.js' });
  expect(pkg.scripts!.test).toBe('tsc -p . && node --test dist/test/MyThing.test.js');
  expect(files.get('src/MyThing.ts')).toBe('export class MyThing {}\n');
  expect(files.get('src/index.ts')).toContain("export { MyThingUserClient } from './MyThingUserClient.js';");
  expect(files.get('test/MyThing.test.ts')).toContain(JSON.stringify('^MyThing: thing 7$'));
  expect([...files.keys()].join('\n')).not.toContain('__NAME__');
  for (const text of files.values()) expect(text).not.toContain('__NAME__');
});

test('bad names, bundle identifiers, folders and templates are refused, each by what is wrong', () => {
  const template = DriverTemplate.fromPackage(family(manifest));
  expect(() => new DriverScaffold({ name: '9Lives', bundleIdentifier: 'com.example.x', coreVersion: '1.0.0' }, template)).toThrow(expect.objectContaining({ code: kIOReturnBadArgument, message: expect.stringMatching(/"9Lives" is not a class name/) }));
  expect(() => new DriverScaffold({ name: 'Ok', bundleIdentifier: 'no dots', coreVersion: '1.0.0' }, template)).toThrow(/"no dots" is not a bundle identifier/);
  const full = mkdtempSync(join(tmpdir(), 'dk-full-'));
  writeFileSync(join(full, 'keep.txt'), 'mine');
  expect(() => new DriverScaffold({ name: 'Ok', bundleIdentifier: 'com.example.Ok', coreVersion: '1.0.0' }, template).write(full)).toThrow(expect.objectContaining({ code: kIOReturnExclusiveAccess }));
  expect(readFileSync(join(full, 'keep.txt'), 'utf8')).toBe('mine');
  expect(() => DriverTemplate.fromPackage(family({ ...manifest, expect: undefined }))).toThrow(/template\.json: no "expect"/);
  expect(() => DriverTemplate.fromPackage(family({ ...manifest, files: { 'src/x.ts': '../../package.json' } }))).toThrow(/\.\.\/\.\.\/package\.json is outside the template/);
  expect(() => DriverTemplate.fromPackage(family({ ...manifest, files: { 'src/x.ts': 'missing.ts' } }))).toThrow(expect.objectContaining({ code: kIOReturnNotFound }));
});

test('driverkit new: usage without a family; a family that is not installed is named', async () => {
  await expect(exec(process.execPath, [bin, 'new', 'Thing'])).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/^usage: driverkit new <Name> --family/) });
  const cwd = mkdtempSync(join(tmpdir(), 'dk-new-'));
  await expect(exec(process.execPath, [bin, 'new', 'Thing', '--family', 'nosuch', '--no-install'], { cwd })).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining(`@driverkit/nosuchdriverkit is not installed in ${cwd}`) });
  await expect(exec(process.execPath, [bin, 'new', 'my-thing', '--family', 'usb', '--no-install'], { cwd })).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('"my-thing" is not a class name') });
});

test('driverkit new: an install that fails leaves no half-made package behind', async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'dk-new-'));
  // A registry that refuses at once: npm fails without reaching any network.
  const env = { ...process.env, npm_config_registry: 'http://127.0.0.1:9/', npm_config_fetch_retries: '0', npm_config_offline: 'false', npm_config_prefer_offline: 'false' };
  await expect(exec(process.execPath, [bin, 'new', 'Thing', '--family', 'pci'], { cwd, env, timeout: 60_000 })).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/npm install .*@driverkit\/pcidriverkit failed in .*Thing/) });
  expect(readdirSync(cwd)).toEqual([]);
}, 90_000);
