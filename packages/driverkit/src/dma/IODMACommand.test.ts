import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  IOBufferMemoryDescriptor,
  IODMACommand,
  IOMemoryDescriptor,
  kIODMACommandPerformOperationOptionRead,
  kIODMACommandPerformOperationOptionWrite,
  kIODMACommandPerformOperationOptionZero,
  kIOMemoryDirectionIn,
  kIOMemoryDirectionInOut,
  kIOReturnBadArgument,
  kIOReturnBusy,
  kIOReturnNotPrivileged,
  kIOReturnNotReady,
  kIOReturnOverrun,
  kIOReturnUnsupported,
  type IOAddressSegment,
  type IODMAMapper,
} from '../index';

const run = promisify(execFile);
const root = join(__dirname, '../../../..');
const PAGE = 4096;
const isRoot = process.getuid?.() === 0;

/** The kernel's own count of this process's locked memory, in KiB. */
function lockedKiB(): number {
  return Number(/VmLck:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))![1]);
}

function total(segments: IOAddressSegment[]): bigint {
  return segments.reduce((n, s) => n + s.length, 0n);
}

/** A stand-in IOMMU: hands out IOVAs one page apart with a hole between pages, and records unmaps. */
class HoleyMapper implements IODMAMapper {
  readonly description = 'IOVA (test IOMMU)';
  next = 0x1000_0000n;
  unmapped: IOAddressSegment[][] = [];
  map(_address: bigint, length: number): IOAddressSegment[] {
    const out: IOAddressSegment[] = [];
    for (let i = 0; i < length / PAGE; i++, this.next += 2n * BigInt(PAGE)) out.push({ address: this.next, length: BigInt(PAGE) });
    return out;
  }
  unmap(segments: IOAddressSegment[]): void {
    this.unmapped.push(segments);
  }
}

describe('IODMACommand with physical addresses', () => {
  (isRoot ? test : test.skip)('wires the pages and gives their physical addresses, offset into the first page', () => {
    const md = IOBufferMemoryDescriptor.Create(kIOMemoryDirectionInOut, 3 * PAGE, 0);
    const cmd = IODMACommand.Create(null, 0, { maxAddressBits: 64 });
    const before = lockedKiB();
    const { flags, segments } = cmd.PrepareForDMA(0, md, 100, 3 * PAGE - 200);
    expect(flags).toBe(kIOMemoryDirectionInOut);
    expect(lockedKiB() - before).toBe(12);
    expect(total(segments)).toBe(BigInt(3 * PAGE - 200));
    expect(segments[0].address % BigInt(PAGE)).toBe(100n);
    for (const s of segments) expect(s.address).toBeGreaterThan(0n);
    for (const s of segments.slice(1)) expect(s.address % BigInt(PAGE)).toBe(0n);
    cmd.CompleteDMA(0);
    expect(lockedKiB()).toBe(before);
    cmd.release();
    md.release();
  });

  (isRoot ? test : test.skip)('two buffers never share a page; another process mapping the same buffer sees the same pages', async () => {
    const a = IOBufferMemoryDescriptor.Create(kIOMemoryDirectionInOut, 2 * PAGE, 0);
    const b = IOBufferMemoryDescriptor.Create(kIOMemoryDirectionInOut, 2 * PAGE, 0);
    const ca = IODMACommand.Create(null, 0, { maxAddressBits: 0 });
    const cb = IODMACommand.Create(null, 0, { maxAddressBits: 0 });
    const pa = ca.PrepareForDMA(0, a).segments;
    const pb = cb.PrepareForDMA(0, b).segments;
    const pages = (ss: IOAddressSegment[]) => ss.flatMap((s) => Array.from({ length: Number(s.length) / PAGE }, (_, i) => s.address + BigInt(i * PAGE)));
    const shared = pages(pa).filter((p) => pages(pb).includes(p));
    expect(shared).toEqual([]);
    const script = `
      import { IOBufferMemoryDescriptor, IODMACommand, IOSharedMemory } from '@driverkit/driverkit';
      const md = IOBufferMemoryDescriptor.withSharedMemory(3n, IOSharedMemory.attach(process.argv[1]));
      const { segments } = IODMACommand.Create(null, 0, { maxAddressBits: 64 }).PrepareForDMA(0, md);
      console.log(JSON.stringify(segments.map((s) => [s.address.toString(16), Number(s.length)])));
    `;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script, a.sharedMemory.name!], { cwd: root });
    expect(JSON.parse(stdout)).toEqual(pa.map((s) => [s.address.toString(16), Number(s.length)]));
    ca.CompleteDMA();
    cb.CompleteDMA();
    a.release();
    b.release();
  });

  (isRoot ? test : test.skip)('an address above maxAddressBits is refused, and nothing stays wired', () => {
    const md = IOBufferMemoryDescriptor.Create(kIOMemoryDirectionInOut, PAGE, 0);
    const cmd = IODMACommand.Create(null, 0, { maxAddressBits: 12 });
    const before = lockedKiB();
    expect(() => cmd.PrepareForDMA(0, md)).toThrow(expect.objectContaining({ code: kIOReturnUnsupported, message: expect.stringMatching(/beyond the device's 12 address bits/) }));
    expect(lockedKiB()).toBe(before);
    expect(() => cmd.GetPreparation()).toThrow(expect.objectContaining({ code: kIOReturnNotReady }));
    md.release();
  });

  test('without CAP_SYS_ADMIN the kernel hides page frames, and PrepareForDMA says so', async () => {
    const script = `
      import { IOBufferMemoryDescriptor, IODMACommand } from '@driverkit/driverkit';
      const md = IOBufferMemoryDescriptor.Create(3n, 4096, 0);
      try { IODMACommand.Create(null, 0, { maxAddressBits: 64 }).PrepareForDMA(0, md); console.log('prepared'); }
      catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }
    `;
    // As root, run the driver as nobody: what an unprivileged driver host sees.
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: root, ...(isRoot ? { uid: 65534, gid: 65534 } : {}) });
    const r = JSON.parse(stdout);
    expect(r.code).toBe(kIOReturnNotPrivileged);
    expect(r.message).toMatch(/CAP_SYS_ADMIN/);
  });
});

describe('IODMACommand preparation state and operations', () => {
  test('the device supplies the mapper; segments come from it, capped at 32, and are unmapped on completion', () => {
    const mapper = new HoleyMapper();
    const cmd = IODMACommand.Create({ CopyDMAMapper: () => mapper }, 0, { maxAddressBits: 32 });
    const md = IOBufferMemoryDescriptor.Create(kIOMemoryDirectionIn, 40 * PAGE, 0);
    const { flags, segments } = cmd.PrepareForDMA(0, md, 10, 2 * PAGE);
    expect(flags).toBe(kIOMemoryDirectionIn);
    expect(segments).toEqual([
      { address: 0x1000_0000n + 10n, length: BigInt(PAGE - 10) },
      { address: 0x1000_2000n, length: BigInt(PAGE) },
      { address: 0x1000_4000n, length: 10n },
    ]);
    expect(() => cmd.PrepareForDMA(0, md)).toThrow(expect.objectContaining({ code: kIOReturnBusy }));
    const prep = cmd.GetPreparation();
    expect([prep.offset, prep.length, prep.memory]).toEqual([10n, BigInt(2 * PAGE), md]);
    prep.memory.release();
    cmd.CompleteDMA();
    expect(mapper.unmapped).toHaveLength(1);
    expect(() => cmd.CompleteDMA()).toThrow(expect.objectContaining({ code: kIOReturnNotReady }));
    const before = lockedKiB();
    expect(() => cmd.PrepareForDMA(0, md, 0, 33 * PAGE)).toThrow(expect.objectContaining({ code: kIOReturnOverrun, message: expect.stringMatching(/33 segments/) }));
    expect(lockedKiB()).toBe(before);
    expect(() => cmd.PrepareForDMA(0, md, 0, 41 * PAGE)).toThrow(expect.objectContaining({ code: kIOReturnBadArgument }));
    cmd.release();
    md.release();
  });

  test('a composed descriptor prepares across its parts; freeing a prepared command completes it', () => {
    const mapper = new HoleyMapper();
    const a = IOBufferMemoryDescriptor.Create(kIOMemoryDirectionInOut, PAGE, 0);
    const b = IOBufferMemoryDescriptor.Create(kIOMemoryDirectionInOut, PAGE, 0);
    const both = IOMemoryDescriptor.CreateWithMemoryDescriptors(kIOMemoryDirectionInOut, [a, b]);
    const cmd = IODMACommand.Create({ CopyDMAMapper: () => mapper }, 0, { maxAddressBits: 64 });
    const { segments } = cmd.PrepareForDMA(0, both, PAGE - 4, 8);
    expect(segments.map((s) => s.length)).toEqual([4n, 4n]);
    cmd.release();
    expect(mapper.unmapped).toHaveLength(1);
    both.release();
    a.release();
    b.release();
  });

  test('PerformOperation reads, writes and zeroes the prepared range, bounds checked', () => {
    const cmd = IODMACommand.Create({ CopyDMAMapper: () => new HoleyMapper() }, 0, { maxAddressBits: 64 });
    const dma = IOBufferMemoryDescriptor.Create(kIOMemoryDirectionInOut, PAGE, 0);
    const data = IOBufferMemoryDescriptor.Create(kIOMemoryDirectionInOut, 16, 0, 'heap');
    dma.GetBytes().set([1, 2, 3, 4, 5, 6, 7, 8], 100);
    expect(() => cmd.PerformOperation(kIODMACommandPerformOperationOptionRead, 0, 4, 0, data)).toThrow(expect.objectContaining({ code: kIOReturnNotReady }));
    cmd.PrepareForDMA(0, dma, 100, 8);
    cmd.PerformOperation(kIODMACommandPerformOperationOptionRead, 2, 4, 1, data);
    expect([...data.GetBytes().subarray(0, 6)]).toEqual([0, 3, 4, 5, 6, 0]);
    data.GetBytes().set([9, 9], 10);
    cmd.PerformOperation(kIODMACommandPerformOperationOptionWrite, 6, 2, 10, data);
    expect([...dma.GetBytes().subarray(100, 108)]).toEqual([1, 2, 3, 4, 5, 6, 9, 9]);
    cmd.PerformOperation(kIODMACommandPerformOperationOptionZero, 0, 3);
    expect([...dma.GetBytes().subarray(99, 109)]).toEqual([0, 0, 0, 0, 4, 5, 6, 9, 9, 0]);
    expect(() => cmd.PerformOperation(kIODMACommandPerformOperationOptionRead, 6, 4, 0, data)).toThrow(/outside the 8 prepared bytes/);
    expect(() => cmd.PerformOperation(3, 0, 1, 0, data)).toThrow(/exactly one of Read/);
    expect(() => cmd.PerformOperation(kIODMACommandPerformOperationOptionWrite, 0, 1)).toThrow(/need a data descriptor/);
    cmd.release();
    dma.release();
    data.release();
  });

  test('memory without a fixed address cannot be prepared; bad arguments are named', () => {
    const cmd = IODMACommand.Create(null, 0, { maxAddressBits: 64 });
    const heap = IOBufferMemoryDescriptor.Create(kIOMemoryDirectionInOut, PAGE, 0, 'heap');
    expect(() => cmd.PrepareForDMA(0, heap)).toThrow(expect.objectContaining({ code: kIOReturnUnsupported, message: expect.stringMatching(/heap memory has no fixed address/) }));
    expect(() => IODMACommand.Create(null, 0, { maxAddressBits: 65 })).toThrow(/at most 64/);
    expect(() => IODMACommand.Create(null, 1, { maxAddressBits: 64 })).toThrow(/unknown options/);
    heap.release();
    cmd.release();
  });
});
