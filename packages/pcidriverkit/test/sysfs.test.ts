import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OSDictionary, kIOReturnNotPermitted } from '@driverkit/driverkit';
import { PCIConfigSnapshot, SysfsPCIBackend, decodePCIConfig } from '../src/index';
import { compareWithLspci, lspci, parseLspci } from './lspci';

// This machine's own PCI functions, read only: nothing here writes to, maps or binds them.
const backend = new SysfsPCIBackend();
const functions = backend.list();

const locator = (path: string) => {
  const d = OSDictionary.withCapacity(1);
  d.setObject('path', path);
  return d;
};

test('every function of this machine is listed', () => {
  expect(functions.length).toBeGreaterThan(0);
  expect(functions.map((f) => f.id).sort()).toEqual(parseLspci(lspci(['-D'])).map((l) => l.bdf).sort());
});

test.each(functions.map((f) => [f.id, f]))('%s decodes as lspci -vvv -nn -xxxx decodes it, field by field', (id, f) => {
  const theirs = parseLspci(lspci(['-D', '-s', id as string, '-xxxx']));
  expect(theirs).toHaveLength(1);
  const info = f as (typeof functions)[number];
  expect(compareWithLspci(theirs[0]!, decodePCIConfig(new PCIConfigSnapshot(info.config), info.barSizes))).toEqual([]);
});

test('an opened function reads its live config space; writes, BAR access, interrupts, reset and DMA are refused', async () => {
  const f = functions[0]!;
  const handle = await backend.open(locator(String(f.locator.path)), f);
  try {
    const snapshot = new PCIConfigSnapshot(f.config);
    for (const offset of [0, 2, 8, 0x2c]) expect(handle.read16(offset)).toBe(snapshot.read16(offset));
    expect(handle.read32(0)).toBe(snapshot.read32(0));
    expect(handle.configLength).toBe(f.config.length);
    const refused = expect.objectContaining({ code: kIOReturnNotPermitted, message: expect.stringContaining(`on ${f.locator.path}: sysfs gives read-only access`) });
    expect(() => handle.configWrite16(4, 0)).toThrow(refused);
    expect(() => handle.configureInterrupts(1, 1, 1)).toThrow(refused);
    expect(() => handle.reset(0x10)).toThrow(refused);
    expect(() => handle.dmaMapper()).toThrow(refused);
    for (const bar of handle.bars) expect(() => bar.read(0, 4)).toThrow(refused);
  } finally {
    handle.close();
  }
});

test('a function that goes away lists no more and reads all ones', async () => {
  // A copy of one real function's files in a tree of our own, so it can be unplugged.
  const f = functions.find((x) => x.config.length >= 256)!;
  const root = mkdtempSync(join(tmpdir(), 'dk-sysfs-'));
  const dir = join(root, f.id);
  mkdirSync(dir);
  writeFileSync(join(dir, 'config'), f.config);
  // (copyFileSync spins on sysfs files, whose stat size is not their content's)
  writeFileSync(join(dir, 'resource'), readFileSync(join(String(f.locator.path), 'resource')));
  const fake = new SysfsPCIBackend(root);
  expect(fake.list().map((x) => [x.id, Buffer.from(x.config).equals(Buffer.from(f.config))])).toEqual([[f.id, true]]);
  let changes = 0;
  const stop = fake.watch(() => changes++, 10);
  const handle = await fake.open(locator(dir), f);
  rmSync(dir, { recursive: true });
  const until = Date.now() + 5000;
  while (changes === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
  stop();
  expect(changes).toBe(1);
  expect(fake.list()).toEqual([]);
  // The open file still reads (Linux keeps an unlinked file); a real unplug gives ENODEV, which reads as all ones.
  handle.close();
  expect(handle.read32(0)).toBe(0xffffffff);
  await expect(fake.open(locator(dir), f)).rejects.toThrow(/is gone/);
  rmSync(root, { recursive: true });
});
