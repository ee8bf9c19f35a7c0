import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  IOBufferMemoryDescriptor,
  IOMemoryDescriptor,
  IOSharedMemory,
  kIOMemoryDirectionInOut,
  kIOMemoryDirectionOut,
  kIOMemoryMapReadOnly,
  kIOReturnBadArgument,
  kIOReturnNotFound,
  kIOReturnNotWritable,
  kIOReturnUnsupported,
} from '../index';

const run = promisify(execFile);
const root = join(__dirname, '../../../..');

describe('IOBufferMemoryDescriptor', () => {
  test('is zeroed, page aligned, with a real address, and its length starts at the capacity', () => {
    const md = IOBufferMemoryDescriptor.Create(kIOMemoryDirectionInOut, 10000, 0);
    expect(md.GetLength()).toBe(10000n);
    expect(md.GetCapacity()).toBe(10000n);
    expect(md.sharedMemory.kind).toBe('process');
    const range = md.GetAddressRange();
    expect(range.address % 4096n).toBe(0n);
    expect(range.length).toBe(10000n);
    expect(md.GetBytes().every((b) => b === 0)).toBe(true);
    md.SetLength(100);
    expect(md.GetLength()).toBe(100n);
    expect(md.GetBytes().length).toBe(100);
    expect(() => md.SetLength(10001)).toThrow(expect.objectContaining({ code: kIOReturnBadArgument, message: expect.stringContaining('SetLength: 10001 is outside 0…10000') }));
    md.release();
  });

  test('checks capacity and alignment', () => {
    expect(() => IOBufferMemoryDescriptor.Create(kIOMemoryDirectionInOut, 0, 0)).toThrow(/capacity must be a positive integer/);
    expect(() => IOBufferMemoryDescriptor.Create(kIOMemoryDirectionInOut, 16, 3)).toThrow(/power of two/);
    expect(() => IOBufferMemoryDescriptor.Create(kIOMemoryDirectionInOut, 16, 8192)).toThrow(/exceeds the page size/);
    expect(() => IOBufferMemoryDescriptor.Create(7n, 16, 0)).toThrow(/direction must be 0 to 3/);
  });

  test('freeing ends the sharing: the shm file goes, and a view still held reads zeros without faulting', () => {
    const md = IOBufferMemoryDescriptor.Create(kIOMemoryDirectionInOut, 4096, 0);
    const name = md.sharedMemory.name!;
    const view = md.GetBytes();
    view[0] = 42;
    expect(existsSync(`/dev/shm/${name}`)).toBe(true);
    md.release();
    expect(existsSync(`/dev/shm/${name}`)).toBe(false);
    expect(view[0]).toBe(0);
    view[1] = 7;
    expect(view[1]).toBe(7);
  });

  test('thread and heap kinds', () => {
    const t = IOBufferMemoryDescriptor.Create(kIOMemoryDirectionInOut, 64, 0, 'thread');
    expect(t.sharedMemory.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(t.GetAddressRange().address).toBe(0n);
    const h = IOBufferMemoryDescriptor.Create(kIOMemoryDirectionInOut, 64, 0, 'heap');
    expect(h.sharedMemory.buffer).toBeInstanceOf(ArrayBuffer);
  });
});

describe('IOMemoryMap', () => {
  test('maps a range with Apple\'s checks and bounded access', () => {
    const md = IOBufferMemoryDescriptor.Create(kIOMemoryDirectionInOut, 8192, 0);
    const map = md.CreateMapping(0, 0, 4096, 0, 0);
    expect(map.GetOffset()).toBe(4096n);
    expect(map.GetLength()).toBe(4096n);
    expect(map.GetAddress()).toBe(md.GetAddressRange().address + 4096n);
    map.GetDataView().setUint32(0, 0xdeadbeef, true);
    expect([...md.readBytes(4096, 4)]).toEqual([0xef, 0xbe, 0xad, 0xde]);
    map.write(4092, new Uint8Array([1, 2, 3, 4]));
    expect(() => map.write(4093, new Uint8Array([1, 2, 3, 4]))).toThrow(expect.objectContaining({ code: kIOReturnBadArgument, message: expect.stringContaining("outside the mapping's 4096 bytes") }));
    expect(() => map.read(-1, 1)).toThrow(expect.objectContaining({ code: kIOReturnBadArgument }));
    expect(() => md.CreateMapping(0, 0, 8000, 500, 0)).toThrow(/lie outside the descriptor's 8192 bytes/);
    expect(() => md.CreateMapping(0, 0, 0, 0, 16)).toThrow('CreateMapping: alignment must be 0');
    expect(() => md.CreateMapping(0, 0x1000, 0, 0, 0)).toThrow(expect.objectContaining({ code: kIOReturnUnsupported }));
    const ro = md.CreateMapping(kIOMemoryMapReadOnly, 0, 0, 16, 0);
    expect(() => ro.write(0, new Uint8Array([1]))).toThrow(expect.objectContaining({ code: kIOReturnNotWritable }));
    expect(md.getRetainCount()).toBe(3);
  });

  test('sub-descriptors and composed descriptors see the same bytes', () => {
    const a = IOBufferMemoryDescriptor.Create(kIOMemoryDirectionInOut, 16, 0, 'heap');
    const b = IOBufferMemoryDescriptor.Create(kIOMemoryDirectionInOut, 16, 0, 'heap');
    a.GetBytes().set([...Array(16).keys()]);
    b.GetBytes().set([...Array(16).keys()].map((i) => 100 + i));
    const both = IOMemoryDescriptor.CreateWithMemoryDescriptors(kIOMemoryDirectionInOut, [a, b]);
    expect(both.GetLength()).toBe(32n);
    expect([...both.readBytes(14, 4)]).toEqual([14, 15, 100, 101]);
    both.writeBytes(15, new Uint8Array([7, 8]));
    expect(a.GetBytes()[15]).toBe(7);
    expect(b.GetBytes()[0]).toBe(8);
    expect(() => both.CreateMapping(0, 0, 14, 4, 0)).toThrow(/span more than one piece/);
    const sub = IOMemoryDescriptor.CreateSubMemoryDescriptor(kIOMemoryDirectionInOut, 10, 12, both);
    expect(sub.GetLength()).toBe(12n);
    expect([...sub.readBytes(0, 12)]).toEqual([10, 11, 12, 13, 14, 7, 8, 101, 102, 103, 104, 105]);
    expect(() => IOMemoryDescriptor.CreateSubMemoryDescriptor(0, 30, 5, both)).toThrow(/outside the descriptor's 32 bytes/);
    expect(() => IOMemoryDescriptor.CreateWithMemoryDescriptors(0, [])).toThrow(/1 to 32 descriptors/);
    const out = IOBufferMemoryDescriptor.Create(kIOMemoryDirectionOut, 4, 0, 'heap');
    expect(() => out.writeBytes(0, new Uint8Array([1]))).toThrow(expect.objectContaining({ code: kIOReturnNotWritable }));
  });
});

describe('IOSharedMemory across processes', () => {
  test('another process attaches by name and sees, and changes, the same bytes', async () => {
    const md = IOBufferMemoryDescriptor.Create(kIOMemoryDirectionInOut, 4096, 0);
    md.GetBytes().set(Buffer.from('written by the parent'));
    const script = `
      import { IOSharedMemory } from '@driverkit/driverkit';
      const m = IOSharedMemory.attach(process.argv[1]);
      const bytes = new Uint8Array(m.buffer);
      const text = Buffer.from(bytes.subarray(0, 21)).toString();
      bytes.set(Buffer.from('child was here'), 100);
      m.close();
      console.log(text);
    `;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script, md.sharedMemory.name!], { cwd: root });
    expect(stdout.trim()).toBe('written by the parent');
    expect(Buffer.from(md.GetBytes().subarray(100, 114)).toString()).toBe('child was here');
    md.release();
  });

  test('attach refuses foreign names and reports missing memory', () => {
    expect(() => IOSharedMemory.attach('../etc/passwd')).toThrow(expect.objectContaining({ code: kIOReturnBadArgument }));
    expect(() => IOSharedMemory.attach('driverkit.1.abcdef')).toThrow(expect.objectContaining({ code: kIOReturnNotFound }));
  });

  test('removeStale removes files of processes that are gone, and only those', () => {
    const stale = '/dev/shm/driverkit.999999999.0badf00d';
    writeFileSync(stale, 'x');
    const live = IOSharedMemory.allocate(64, 'process');
    const removed = IOSharedMemory.removeStale();
    expect(removed).toContain('driverkit.999999999.0badf00d');
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(`/dev/shm/${live.name}`)).toBe(true);
    // With a pid, only that process's files go (as the host does when a driver process ends).
    const other = '/dev/shm/driverkit.999999998.0badf00d';
    writeFileSync(stale, 'x');
    writeFileSync(other, 'x');
    expect(IOSharedMemory.removeStale(999999999)).toEqual(['driverkit.999999999.0badf00d']);
    expect(existsSync(other)).toBe(true);
    expect(IOSharedMemory.removeStale(process.pid)).toEqual([]);
    expect(existsSync(`/dev/shm/${live.name}`)).toBe(true);
    IOSharedMemory.removeStale(999999998);
    live.close();
  });
});

test('IOSharedMemory.resolve finds the process-shared memory behind an address, until it is closed', () => {
  const memory = IOSharedMemory.allocate(8192, 'process');
  const at = memory.address! + 4096n;
  expect(IOSharedMemory.resolve(at, 4096)).toEqual({ memory, offset: 4096 });
  expect(IOSharedMemory.resolve(at, 4097)).toBeNull();
  expect(IOSharedMemory.resolve(memory.address! - 1n, 1)).toBeNull();
  memory.close();
  expect(IOSharedMemory.resolve(at, 1)).toBeNull();
});

test('IOMalloc, IOMallocZero, IOFree with its size checked, IONew and IOSafeDeleteNULL', async () => {
  const { IOFree, IOMalloc, IOMallocZero, IONew, IOSafeDeleteNULL, OSData } = await import('../index');
  const a = IOMalloc(16);
  expect(a.length).toBe(16);
  expect(IOMallocZero(4).every((b) => b === 0)).toBe(true);
  expect(() => IOFree(a, 8)).toThrow(/the block has 16 bytes, not 8/);
  IOFree(a, 16);
  expect(() => IOFree(a, 16)).toThrow(/freed already/);
  expect(() => IOMalloc(-1)).toThrow(/size -1 is not a byte count/);
  expect(IONew((i) => ({ index: i }), 3)).toEqual([{ index: 0 }, { index: 1 }, { index: 2 }]);
  const d = OSData.withBytes(Uint8Array.of(1));
  d.retain();
  expect(IOSafeDeleteNULL([d])).toBeNull();
  d.release();
});
