import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureFile, ReplayEthernetPort } from '../src/index';

// The tcpdump group's regression captures (../shared/data/net/tcpdump, README there), read by us and
// by tcpdump itself, which is the independent reader the data has no other ground truth than.
const data = join(__dirname, '../../../../shared/data/net/tcpdump');
const files = readdirSync(data).filter((f) => f.endsWith('.pcap'));
const records: Record<string, number> = { 'eapon1.pcap': 114, 'dhcp-rfc3004.pcap': 4, 'lldp_mudurl.pcap': 2, 'print-flags.pcap': 10 };

/** Each frame as tcpdump prints it with -xx (every byte from the Ethernet header on, in hex). */
function tcpdumpFrames(path: string): string[] {
  const out = execFileSync('tcpdump', ['-r', path, '-nn', '-xx', '-tt'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  const frames: string[] = [];
  for (const line of out.split('\n')) {
    const m = /^\s+0x[0-9a-f]{4}:\s+((?:[0-9a-f]{2,4}\s?)+)/.exec(line);
    if (!m) {
      if (line.trim()) frames.push('');
      continue;
    }
    frames[frames.length - 1] += m[1]!.replace(/\s+/g, '');
  }
  return frames;
}

test.each(files)('%s: every frame is byte for byte what tcpdump reads', (file) => {
  const capture = CaptureFile.read(join(data, file));
  expect(capture.format).toBe('pcap');
  expect(capture.frames).toHaveLength(records[file]!);
  expect(capture.frames.map((f) => Buffer.from(f.data).toString('hex'))).toEqual(tcpdumpFrames(join(data, file)));
  // The README: no record is truncated.
  expect(capture.frames.every((f) => f.data.length === f.originalLength)).toBe(true);
});

test('a replay port plays a capture back frame by frame, in order, at the offset asked', () => {
  const path = join(data, 'eapon1.pcap');
  const expected = CaptureFile.read(path).frames.map((f) => Buffer.from(f.data).toString('hex'));
  const port = ReplayEthernetPort.open(path);
  const buffer = new Uint8Array(2048);
  const got: string[] = [];
  for (let n = port.receive(buffer, 8); n > 0; n = port.receive(buffer, 8)) got.push(Buffer.from(buffer.subarray(8, 8 + n)).toString('hex'));
  expect(got).toEqual(expected);
  expect(port.statistics).toMatchObject({ received: 114, bad: 0 });
});

/** A pcapng file: a section, one Ethernet interface with nanosecond timestamps, enhanced packet blocks. */
function pcapng(frames: Array<{ data: Uint8Array; original?: number; ts: bigint }>, linkType = 1): Uint8Array {
  const blocks: Buffer[] = [];
  const block = (type: number, body: Buffer) => {
    const padded = Buffer.concat([body, Buffer.alloc((4 - (body.length % 4)) % 4)]);
    const b = Buffer.alloc(12 + padded.length);
    b.writeUInt32LE(type, 0);
    b.writeUInt32LE(b.length, 4);
    padded.copy(b, 8);
    b.writeUInt32LE(b.length, b.length - 4);
    blocks.push(b);
  };
  const shb = Buffer.alloc(16);
  shb.writeUInt32LE(0x1a2b3c4d, 0);
  shb.writeUInt16LE(1, 4);
  shb.writeBigInt64LE(-1n, 8);
  block(0x0a0d0d0a, shb);
  const idb = Buffer.alloc(8 + 8 + 4);
  idb.writeUInt16LE(linkType, 0);
  idb.writeUInt32LE(65535, 4);
  idb.writeUInt16LE(9, 8); // if_tsresol: 10^-9
  idb.writeUInt16LE(1, 10);
  idb[12] = 9;
  block(1, idb);
  for (const f of frames) {
    const epb = Buffer.alloc(20);
    epb.writeUInt32LE(0, 0);
    epb.writeUInt32LE(Number(f.ts >> 32n), 4);
    epb.writeUInt32LE(Number(f.ts & 0xffffffffn), 8);
    epb.writeUInt32LE(f.data.length, 12);
    epb.writeUInt32LE(f.original ?? f.data.length, 16);
    block(6, Buffer.concat([epb, Buffer.from(f.data)]));
  }
  return Buffer.concat(blocks);
}

test('pcapng: frames and nanosecond timestamps; truncated records and runts are counted and dropped on replay', () => {
  const eth = (n: number, fill: number) => new Uint8Array(n).fill(fill);
  const bytes = pcapng([
    { data: eth(60, 1), ts: 1_700_000_000_123_456_789n },
    { data: eth(64, 2), original: 1514, ts: 1_700_000_000_223_456_789n },
    { data: eth(10, 3), ts: 1_700_000_000_323_456_789n },
    { data: eth(1514, 4), ts: 1_700_000_000_423_456_789n },
  ]);
  const capture = CaptureFile.parse(bytes);
  expect(capture.format).toBe('pcapng');
  expect(capture.frames.map((f) => [f.data.length, f.originalLength, f.timestampNs])).toEqual([
    [60, 60, 1_700_000_000_123_456_789n],
    [64, 1514, 1_700_000_000_223_456_789n],
    [10, 10, 1_700_000_000_323_456_789n],
    [1514, 1514, 1_700_000_000_423_456_789n],
  ]);
  const dir = mkdtempSync(join(tmpdir(), 'dk-cap-'));
  writeFileSync(join(dir, 'x.pcapng'), bytes);
  const port = ReplayEthernetPort.open(join(dir, 'x.pcapng'));
  const buffer = new Uint8Array(2048);
  const lengths: number[] = [];
  for (let n = port.receive(buffer, 0); n > 0; n = port.receive(buffer, 0)) lengths.push(n);
  expect(lengths).toEqual([60, 1514]);
  expect(port.statistics).toMatchObject({ received: 2, bad: 2 });
});

test('damaged and foreign captures are refused with the reason and the offset', () => {
  const good = CaptureFile.read(join(data, 'lldp_mudurl.pcap'));
  expect(good.frames).toHaveLength(2);
  const bytes = execFileSync('cat', [join(data, 'lldp_mudurl.pcap')]);
  expect(() => CaptureFile.parse(bytes.subarray(0, bytes.length - 5))).toThrow(/the record at offset \d+ claims \d+ bytes, past the end of the file/);
  expect(() => CaptureFile.parse(new Uint8Array(40))).toThrow(/neither pcap nor pcapng/);
  expect(() => CaptureFile.parse(pcapng([{ data: new Uint8Array(60), ts: 0n }], 105))).toThrow(/link type 105, not Ethernet/);
  const cut = pcapng([{ data: new Uint8Array(60), ts: 0n }]);
  new DataView(cut.buffer, cut.byteOffset).setUint32(cut.length - 92 + 4, 4000, true);
  expect(() => CaptureFile.parse(cut)).toThrow(/bad length/);
});
