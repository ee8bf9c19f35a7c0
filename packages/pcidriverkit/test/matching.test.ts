import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IOServiceHost } from '@driverkit/driverkit';
import { IOPCIDevice, PCIHostController, PCIMatchingFamily, VirtualPCIBus, kIOPCIMatchScore, parsePCIMatchString } from '../src/index';

// Matching as IOPCIBridge::pciMatchNub does it, judged by the host's engine on published virtual functions.
let host: IOServiceHost;
let controller: PCIHostController;

/** A driver package with one personality per entry, and these entitlements. */
function bundle(personalities: Record<string, Record<string, unknown>>, entitlements: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'dk-pci-match-'));
  const full = Object.fromEntries(Object.entries(personalities).map(([name, p]) => [name, { IOClass: 'IOUserService', IOProviderClass: 'IOPCIDevice', IOUserClass: 'Nothing', IOUserServerName: `org.test.${name}`, ...p }]));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'pci-match', driverkit: { bundleIdentifier: 'org.test.pci', IOKitPersonalities: full, entitlements } }));
  mkdirSync(join(dir, 'node_modules'));
  return dir;
}

const transport = { 'com.apple.developer.driverkit': true, 'com.apple.developer.driverkit.transport.pci': [{ IOPCIPrimaryMatch: '0x00001234&0x0000ffff' }] };

async function explain(personalities: Record<string, Record<string, unknown>>, entitlements: Record<string, unknown> = transport) {
  host = new IOServiceHost({ mode: 'in-process' });
  host.registerFamily(PCIMatchingFamily);
  const bus = new VirtualPCIBus();
  controller = new PCIHostController(host, [bus]);
  controller.start();
  await bus.attach({ model: 'edu' });
  host.addDriverBundle(bundle(personalities, entitlements));
  const nub = [...host.registry.entries()].find((e) => e instanceof IOPCIDevice)!;
  const byName = Object.fromEntries(host.explain(nub as IOPCIDevice).map((c) => [c.personality.name, c]));
  return { byName, text: host.explainText(nub as IOPCIDevice) };
}

afterEach(async () => {
  await controller.stop();
  await host.stop();
});

test('the four keys, masks, alternatives and Apple\'s scores', async () => {
  const { byName, text } = await explain({
    primary: { IOPCIPrimaryMatch: '0x11e81234' },
    either: { IOPCIMatch: '0x11001af4' }, // the subsystem dword (0x2c)
    secondaryWrong: { IOPCISecondaryMatch: '0x11e81234' },
    masked: { IOPCIPrimaryMatch: '0x00001234&0x0000ffff' },
    alternatives: { IOPCIPrimaryMatch: '0x12345678 0x11e81234&0xffffffff' },
    classOnly: { IOPCIClassMatch: '0x00ff0000' },
    classAndPrimary: { IOPCIClassMatch: '0x00ff0000&0xffff0000', IOPCIPrimaryMatch: '11e81234', IOProbeScore: 5 },
    classWrong: { IOPCIClassMatch: '0x02000000&0xffff0000', IOPCIPrimaryMatch: '0x11e81234' },
    malformed: { IOPCIPrimaryMatch: '0x11e81234 zz' },
  });
  const verdict = (n: string) => [byName[n]!.matched, byName[n]!.score];
  expect(verdict('primary')).toEqual([true, kIOPCIMatchScore]);
  expect(verdict('either')).toEqual([true, 1000]);
  expect(verdict('secondaryWrong')).toEqual([false, 0]);
  expect(verdict('masked')).toEqual([true, 1000]);
  expect(verdict('alternatives')).toEqual([true, 1000]);
  expect(verdict('classOnly')).toEqual([true, 0]);
  expect(verdict('classAndPrimary')).toEqual([true, 1005]);
  expect(verdict('classWrong')[0]).toBe(false);
  expect(verdict('malformed')[0]).toBe(false);
  expect(text).toMatch(/IOPCIPrimaryMatch: 0x11e81234&0xffffffff matches config 0x00=0x11e81234/);
  expect(text).toMatch(/IOPCIClassMatch: none of 0x02000000&0xffff0000 matches config 0x08=0x00ff0010/);
  expect(text).toMatch(/IOPCIPrimaryMatch: "0x11e81234 zz" has "zz", not a hex value with an optional &mask/);
});

test('the transport.pci entitlement gates matching, and its refusal names the key', async () => {
  const one = { p: { IOPCIPrimaryMatch: '0x11e81234' } };
  const none = await explain(one, { 'com.apple.developer.driverkit': true });
  expect(none.byName.p!.matched).toBe(false);
  expect(none.text).toMatch(/✗ IOServiceDEXTEntitlements: the driver lacks the entitlement com\.apple\.developer\.driverkit\.transport\.pci/);
  await controller.stop();
  await host.stop();
  const other = await explain(one, { 'com.apple.developer.driverkit.transport.pci': [{ IOPCIPrimaryMatch: '0x000010b5&0x0000ffff' }] });
  expect(other.text).toMatch(/✗ IOServiceDEXTEntitlements: the entitlement com\.apple\.developer\.driverkit\.transport\.pci does not cover this device/);
  await controller.stop();
  await host.stop();
  const covered = await explain(one);
  expect(covered.byName.p!.matched).toBe(true);
});

test('match strings parse as strtoul reads them, and refuse what it would silently cut', () => {
  expect(parsePCIMatchString('0x00789004&0x00ffffff 0x78009004&0xff00ffff', 0xffffffff)).toEqual([{ value: 0x00789004, mask: 0x00ffffff }, { value: 0x78009004, mask: 0xff00ffff }]);
  expect(parsePCIMatchString('261011', 0xffffff00)).toEqual([{ value: 0x261011, mask: 0xffffff00 }]);
  expect(() => parsePCIMatchString('  ', 0)).toThrow('is empty');
  expect(() => parsePCIMatchString('0x123456789', 0)).toThrow(/not a hex value/);
});
