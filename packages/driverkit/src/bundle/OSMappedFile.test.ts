import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OSBundle, OSMappedFile, kIOReturnBadArgument, kIOReturnNotFound } from '../index';

test('OSMappedFile maps a file read-only; missing files, folders and empty files are handled', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dk-mapped-'));
  writeFileSync(join(dir, 'a.bin'), Uint8Array.of(1, 2, 3));
  writeFileSync(join(dir, 'empty'), '');
  const f = OSMappedFile.createFromPath(join(dir, 'a.bin'));
  expect([...f.data()]).toEqual([1, 2, 3]);
  expect(f.size()).toBe(3);
  f.release();
  expect(OSMappedFile.createFromPath(join(dir, 'empty')).size()).toBe(0);
  expect(() => OSMappedFile.createFromPath(join(dir, 'nope'))).toThrow(expect.objectContaining({ code: kIOReturnNotFound, message: expect.stringContaining(`cannot open ${join(dir, 'nope')} (ENOENT)`) }));
  expect(() => OSMappedFile.createFromPath(dir)).toThrow(expect.objectContaining({ code: kIOReturnBadArgument }));
  expect(OSBundle.createFromPath(join(dir, 'nope'))).toBeNull();
  expect(() => OSBundle.createFromPath(dir)!.loadResource('/etc/passwd')).toThrow(/is not a name inside the bundle's Resources/);
});
