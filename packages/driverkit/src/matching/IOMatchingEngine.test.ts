import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  IODriverBundle,
  IOService,
  IOServiceHost,
  OSDictionary,
  OSNumber,
  kIOReturnBadArgument,
  kOSBooleanTrue,
  type IOFamilyMatchResult,
  type IOMatchingFamily,
  type OSValue,
} from '../index';

const fixtures = join(__dirname, '../../test/fixtures');
const driversModule = join(fixtures, 'drivers/TestDrivers/drivers.js');
const log = ((globalThis as { __driverkitTestLog?: string[] }).__driverkitTestLog ??= []);
const dirs: string[] = [];

class TestNub extends IOService {}
class TestSubNub extends TestNub {}
class OtherNub extends IOService {}

function bundle(id: string, personalities: Record<string, Record<string, OSValue>>, entitlements: Record<string, OSValue> = {}): IODriverBundle {
  const dir = mkdtempSync(join(fixtures, '.tmp-'));
  dirs.push(dir);
  const full = Object.fromEntries(
    Object.entries(personalities).map(([name, p]) => [name, { IOClass: 'IOUserService', IOUserClass: 'Recorder', IOUserServerName: id, IOProviderClass: 'TestNub', ...p }]),
  );
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: id, type: 'module', main: relative(dir, driversModule), driverkit: { bundleIdentifier: id, IOKitPersonalities: full, entitlements } }));
  return IODriverBundle.load(dir);
}

function nub<T extends IOService>(Class: new () => T, name: string, props: Record<string, OSValue> = {}, location?: string): T {
  const n = new Class();
  n.setName(name);
  if (location) n.setLocation(location);
  const d = OSDictionary.withCapacity(4);
  for (const [k, v] of Object.entries(props)) d.setObject(k, v);
  n.setProperties(d);
  return n;
}

/** A family in the shape USB's will have: idVendor must equal, and a match adds to the score. */
const family: IOMatchingFamily = {
  name: 'Test',
  providerClasses: ['TestNub'],
  matchPropertyTable(provider, table, score): IOFamilyMatchResult {
    const want = table.getObject('idVendor');
    if (!want) return { matched: true, score, checks: [] };
    const have = provider.getProperty('idVendor');
    const ok = have !== null && have.isEqualTo(want);
    return { matched: ok, score: ok ? score + 100 : score, checks: [{ key: 'idVendor', passed: ok, detail: `${have} vs ${want}` }] };
  },
};

let host: IOServiceHost;
beforeEach(() => {
  log.length = 0;
  host = new IOServiceHost({ mode: 'in-process' });
  host.registerFamily(family);
});
afterEach(async () => {
  await host.stop();
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function verdicts(n: IOService): Record<string, boolean> {
  return Object.fromEntries(host.explain(n).map((c) => [c.personality.name, c.matched]));
}

describe('matching keys, in IOKit order', () => {
  test('IOProviderClass matches the class or a superclass', () => {
    host.addDriverBundle(bundle('org.test.a', { P: {} }));
    expect(verdicts(nub(TestNub, 'n'))).toEqual({ P: true });
    expect(verdicts(nub(TestSubNub, 'n'))).toEqual({ P: true });
    expect(verdicts(nub(OtherNub, 'n'))).toEqual({ P: false });
    expect(host.explainText(nub(OtherNub, 'n'))).toMatch(/✗ IOProviderClass: OtherNub is not a TestNub \(it is OtherNub → IOService → IORegistryEntry → OSObject\)/);
  });

  test('IONameMatch takes a name or an array, against the name and `compatible`', () => {
    host.addDriverBundle(bundle('org.test.a', { One: { IONameMatch: 'uart' }, Any: { IONameMatch: ['spi', 'i2c'] } }));
    expect(verdicts(nub(TestNub, 'uart'))).toEqual({ One: true, Any: false });
    expect(verdicts(nub(TestNub, 'x', { compatible: ['i2c'] }))).toEqual({ One: false, Any: true });
  });

  test('IOPropertyMatch is subset equality, a dictionary or an array of which any one matches; IOPropertyExistsMatch needs any one name', () => {
    host.addDriverBundle(
      bundle('org.test.a', {
        Dict: { IOPropertyMatch: { Role: 'x', Rev: 2 } },
        Array: { IOPropertyMatch: [{ Role: 'y' }, { Rev: 2 }] },
        Exists: { IOPropertyExistsMatch: ['Serial', 'Other'] },
      }),
    );
    expect(verdicts(nub(TestNub, 'n', { Role: 'x', Rev: 2, Extra: true }))).toEqual({ Dict: true, Array: true, Exists: false });
    expect(verdicts(nub(TestNub, 'n', { Role: 'x', Rev: 3, Serial: 'a' }))).toEqual({ Dict: false, Array: false, Exists: true });
    expect(host.explainText(nub(TestNub, 'n', { Role: 'x', Rev: 3 }))).toMatch(/✗ IOPropertyMatch: Rev is 3, wanted 2/);
  });

  test('IOLocationMatch and IOParentMatch', () => {
    host.addDriverBundle(bundle('org.test.a', { Loc: { IOLocationMatch: '3' }, Parent: { IOParentMatch: { Bus: 'usb' } } }));
    const parent = nub(OtherNub, 'hub', { Bus: 'usb' });
    host.publishNub(parent);
    const child = nub(TestNub, 'port', {}, '3');
    child.attachToParent(parent);
    expect(verdicts(child)).toEqual({ Loc: true, Parent: true });
    expect(verdicts(nub(TestNub, 'port', {}, '4'))).toEqual({ Loc: false, Parent: false });
  });

  test('IOResourceMatch waits until the resource is published', async () => {
    host.addDriverBundle(bundle('org.test.a', { Waits: { IOResourceMatch: 'Widget' } }));
    const n = nub(TestNub, 'n');
    host.publishNub(n);
    await host.whenIdle();
    expect(host.clientsOf(n).size).toBe(0);
    expect(host.explainText(n)).toMatch(/✗ IOResourceMatch: resource Widget is not published/);
    host.publishResource('Widget');
    await host.whenIdle();
    expect(host.clientsOf(n).size).toBe(1);
  });

  test('a family adds its own keys and scores through the hook', () => {
    host.addDriverBundle(bundle('org.test.a', { Vendor: { idVendor: 0x05ac, IOProbeScore: 5 } }));
    const [c] = host.explain(nub(TestNub, 'n', { idVendor: 0x05ac }));
    expect([c!.matched, c!.score]).toEqual([true, 105]);
    expect(verdicts(nub(TestNub, 'n', { idVendor: 1 }))).toEqual({ Vendor: false });
    expect(verdicts(nub(OtherNub, 'n', { idVendor: 1 }))).toEqual({ Vendor: false });
  });

  test('a personality without IOUserClass or IOProviderClass cannot match, and says why', () => {
    host.addDriverBundle(bundle('org.test.a', { NoClass: { IOUserClass: '' as string } }));
    const text = host.explainText(nub(TestNub, 'n'));
    expect(text).toMatch(/IOUserClass: missing/);
  });
});

describe('choosing and starting drivers', () => {
  test('one winner per IOMatchCategory, highest IOProbeScore first; categories are independent', async () => {
    host.addDriverBundle(
      bundle('org.test.a', {
        Low: { IOProbeScore: 10 },
        High: { IOProbeScore: 20 },
        Other: { IOMatchCategory: 'Second', IOProbeScore: 1 },
      }),
    );
    const n = nub(TestNub, 'n');
    host.publishNub(n);
    await host.whenIdle();
    const clients = host.clientsOf(n);
    expect([...clients.keys()].sort()).toEqual(['IODefaultMatchCategory', 'Second']);
    expect(clients.get('IODefaultMatchCategory')!.getProperty('IOProbeScore')!.isEqualTo(OSNumber.withNumber(20, 32))).toBe(true);
    expect(host.explainText(n)).toMatch(/org\.test\.a\/High {2}score 20 {2}wins IODefaultMatchCategory[\s\S]*org\.test\.a\/Low {2}score 10 {2}matches, ranked 2/);
  });

  test('equal scores are broken by bundle identifier, then personality name, whatever the load order', async () => {
    host.addDriverBundle(bundle('org.test.zzz', { A: {} }));
    host.addDriverBundle(bundle('org.test.aaa', { B: {}, A: {} }));
    const n = nub(TestNub, 'n');
    host.publishNub(n);
    await host.whenIdle();
    const started = [...host.clientsOf(n).values()][0]!;
    expect(started.getProperty('CFBundleIdentifier')!.toString()).toBe('org.test.aaa');
    expect(host.explainText(n)).toMatch(/org\.test\.aaa\/A {2}score 0 {2}wins/);
  });

  test('a driver whose Probe declines is skipped for the next candidate', async () => {
    host.addDriverBundle(bundle('org.test.a', { First: { IOUserClass: 'Prober', IOProbeScore: 9 }, Second: { IOUserClass: 'Prober', IOProbeScore: 1 } }));
    const n = nub(TestNub, 'n', { Decline: true });
    host.publishNub(n);
    await host.whenIdle();
    expect(log).toEqual(['Probe Prober score 9', 'Probe Prober score 1']);
    expect(host.clientsOf(n).size).toBe(0);
    const ok = nub(TestNub, 'ok');
    host.publishNub(ok);
    await host.whenIdle();
    expect(log.slice(2)).toEqual(['Probe Prober score 9', 'Start Prober']);
    expect(String(host.clientsOf(ok).get('IODefaultMatchCategory')!.getProperty('IOProbeScore'))).toBe('10');
  });

  test('a driver whose init returns false is never started, and the next candidate is', async () => {
    host.addDriverBundle(bundle('org.test.a', { Refuses: { IOUserClass: 'Refuser', IOProbeScore: 5 }, Fallback: { IOUserClass: 'Prober' } }));
    const n = nub(TestNub, 'n');
    host.publishNub(n);
    await host.whenIdle();
    expect(log).toEqual(['init Refuser', 'Probe Prober score 0', 'Start Prober']);
    expect(host.explainText(n)).toMatch(/Refuses {2}score 5 {2}matches, ranked 1 in IODefaultMatchCategory\n[\s\S]*?! did not start: Refuser\.init\(\) returned false/);
    expect(n.getChildEntries().map((c) => c.getName())).toEqual(['Prober']);
  });

  test('property changes on a nub are seen by matching', async () => {
    host.addDriverBundle(bundle('org.test.a', { P: { IOPropertyMatch: { Role: 'record' } } }));
    const n = nub(TestNub, 'n', { Role: 'none' });
    host.publishNub(n);
    await host.whenIdle();
    expect(host.clientsOf(n).size).toBe(0);
    n.setProperty('Role', 'record');
    await host.whenIdle();
    expect(host.clientsOf(n).size).toBe(1);
  });

  test('adding a driver matches existing nubs; removing one terminates its services and rematches', async () => {
    const n = nub(TestNub, 'n');
    host.publishNub(n);
    host.addDriverBundle(bundle('org.test.low', { Low: { IOProbeScore: 1 } }));
    await host.whenIdle();
    host.addDriverBundle(bundle('org.test.high', { High: { IOProbeScore: 50 } }));
    await host.whenIdle();
    expect(String(host.clientsOf(n).get('IODefaultMatchCategory')!.getProperty('CFBundleIdentifier'))).toBe('org.test.low');
    await host.removeDriverBundle('org.test.low');
    await host.whenIdle();
    expect(String(host.clientsOf(n).get('IODefaultMatchCategory')!.getProperty('CFBundleIdentifier'))).toBe('org.test.high');
    await expect(host.removeDriverBundle('org.test.low')).rejects.toThrow(/no driver package org\.test\.low/);
  });
});

describe('entitlements gate matching', () => {
  const transport = 'com.apple.developer.driverkit.transport.test';

  test('the driver must hold what the provider requires, and a dictionary entitlement must match the device', () => {
    host.addDriverBundle(bundle('org.test.none', { P: {} }));
    host.addDriverBundle(bundle('org.test.vendor1', { P: {} }, { [transport]: [{ idVendor: 1 }] }));
    host.addDriverBundle(bundle('org.test.vendor2', { P: {} }, { [transport]: [{ idVendor: 2 }] }));
    host.addDriverBundle(bundle('org.test.bool', { P: {} }, { [transport]: true }));
    const n = nub(TestNub, 'n', { idVendor: 1, IOServiceDEXTEntitlements: [[transport]] });
    const byBundle = Object.fromEntries(host.explain(n).map((c) => [c.personality.bundle.bundleIdentifier, c]));
    expect(byBundle['org.test.none']!.matched).toBe(false);
    expect(byBundle['org.test.vendor1']!.matched).toBe(true);
    expect(byBundle['org.test.vendor2']!.matched).toBe(false);
    expect(byBundle['org.test.bool']!.matched).toBe(true);
    const text = host.explainText(n);
    expect(text).toMatch(new RegExp(`org\\.test\\.none/P[\\s\\S]*?✗ IOServiceDEXTEntitlements: the driver lacks the entitlement ${transport.replace(/\./g, '\\.')}`));
    expect(text).toMatch(/org\.test\.vendor2\/P[\s\S]*?✗ IOServiceDEXTEntitlements: the entitlement \S+ does not cover this device/);
  });

  test('alternatives: any top-level entry may pass; a leaf array needs all its names', () => {
    host.addDriverBundle(bundle('org.test.one', { P: {} }, { 'x.a': true }));
    host.addDriverBundle(bundle('org.test.two', { P: {} }, { 'x.a': true, 'x.b': true }));
    expect(Object.fromEntries(host.explain(nub(TestNub, 'n', { IOServiceDEXTEntitlements: [['x.a', 'x.b']] })).map((c) => [c.personality.bundle.bundleIdentifier, c.matched]))).toEqual({
      'org.test.one': false,
      'org.test.two': true,
    });
    expect(host.explain(nub(TestNub, 'n', { IOServiceDEXTEntitlements: ['x.c', 'x.a'] })).every((c) => c.matched)).toBe(true);
    expect(host.explain(nub(TestNub, 'n', { IOServiceDEXTEntitlements: 'x.b' })).map((c) => c.matched)).toEqual([false, true]);
  });
});

describe('driver packages', () => {
  test("an Apple sample's Info.plist and .entitlements load unchanged, and NullDriver starts on IOUserResources", async () => {
    const b = host.addDriverBundle(join(fixtures, 'drivers/NullDriver'));
    expect(b.bundleIdentifier).toBe('com.example.apple-samplecode.NullDriver');
    const p = b.personalities[0]!;
    expect([p.name, p.matchCategory, p.userServerName, p.userClass]).toEqual(['NullDriver', b.bundleIdentifier, b.bundleIdentifier, 'NullDriver']);
    expect(b.entitlement('com.apple.developer.driverkit.allow-any-userclient-access')).toBe(kOSBooleanTrue);
    await host.whenIdle();
    const driver = host.clientsOf(host.userResources).get(b.bundleIdentifier)!;
    expect(driver.getPath()).toBe('IOService:/IOUserResources/NullDriver');
    expect(driver.isRegistered()).toBe(true);
  });

  test('bad packages give errors naming the file and the problem', () => {
    const dir = mkdtempSync(join(fixtures, '.tmp-'));
    dirs.push(dir);
    expect(() => IODriverBundle.load(dir)).toThrow(/no IOKitPersonalities/);
    writeFileSync(join(dir, 'package.json'), '{ nope');
    expect(() => IODriverBundle.load(dir)).toThrow(/package\.json is not valid JSON/);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'x', driverkit: { IOKitPersonalities: { P: { IOUserServerName: '$(MYSTERY)' } } } }));
    expect(() => IODriverBundle.load(dir)).toThrow(expect.objectContaining({ code: kIOReturnBadArgument, message: expect.stringMatching(/uses the build setting \$\(MYSTERY\)/) }));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'x', driverkit: { IOKitPersonalities: { P: 3 } } }));
    expect(() => IODriverBundle.load(dir)).toThrow(/IOKitPersonalities\.P is not a dictionary/);
  });
});
