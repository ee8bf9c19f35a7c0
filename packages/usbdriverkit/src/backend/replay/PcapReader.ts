import { IOReturnError, kIOReturnBadArgument } from '@driverkit/driverkit';

/** One captured frame: its link type (per interface in pcapng), time in µs, and bytes. */
export interface CapturedFrame {
  linkType: number;
  timestampUs: number;
  data: Uint8Array;
}

function bad(offset: number, problem: string): never {
  throw new IOReturnError(kIOReturnBadArgument, `malformed capture at byte ${offset}: ${problem}`);
}

/** Reads a classic pcap (either byte order, µs or ns) or a pcapng file into frames. */
export function readCaptureFile(bytes: Uint8Array): CapturedFrame[] {
  if (bytes.length < 4) bad(0, 'too short for a capture header');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = dv.getUint32(0, true);
  if (magic === 0x0a0d0d0a) return readPcapng(bytes, dv);
  const classic: Record<number, [boolean, number]> = { 0xa1b2c3d4: [true, 1], 0xd4c3b2a1: [false, 1], 0xa1b23c4d: [true, 1000], 0x4d3cb2a1: [false, 1000] };
  const format = classic[magic];
  if (!format) bad(0, `magic 0x${magic.toString(16)} is neither pcap nor pcapng`);
  const [le, nsDivisor] = format;
  if (bytes.length < 24) bad(0, 'truncated pcap header');
  const linkType = dv.getUint32(20, le) & 0x0fffffff;
  const frames: CapturedFrame[] = [];
  for (let o = 24; o < bytes.length; ) {
    if (o + 16 > bytes.length) bad(o, 'truncated record header');
    const sec = dv.getUint32(o, le);
    const frac = dv.getUint32(o + 4, le);
    const caplen = dv.getUint32(o + 8, le);
    if (o + 16 + caplen > bytes.length) bad(o, `record of ${caplen} bytes runs past the end`);
    frames.push({ linkType, timestampUs: sec * 1e6 + frac / nsDivisor, data: bytes.subarray(o + 16, o + 16 + caplen) });
    o += 16 + caplen;
  }
  return frames;
}

function readPcapng(bytes: Uint8Array, dv: DataView): CapturedFrame[] {
  const frames: CapturedFrame[] = [];
  let le = true;
  let interfaces: Array<{ linkType: number; tsDivisor: number }> = [];
  for (let o = 0; o < bytes.length; ) {
    if (o + 12 > bytes.length) bad(o, 'truncated block');
    const type = dv.getUint32(o, le);
    if (type === 0x0a0d0d0a) {
      const bom = dv.getUint32(o + 8, true);
      if (bom === 0x1a2b3c4d) le = true;
      else if (bom === 0x4d3c2b1a) le = false;
      else bad(o + 8, 'bad byte-order magic');
      interfaces = [];
    }
    const length = dv.getUint32(o + 4, le);
    if (length < 12 || length % 4 !== 0 || o + length > bytes.length) bad(o, `block length ${length} is invalid`);
    if (type === 1) {
      // Interface description: link type, then options (if_tsresol, code 9).
      let tsDivisor = 1;
      for (let p = o + 16; p + 4 <= o + length - 4; ) {
        const code = dv.getUint16(p, le);
        const len = dv.getUint16(p + 2, le);
        if (code === 0) break;
        if (code === 9 && len >= 1) {
          const r = bytes[p + 4]!;
          tsDivisor = r & 0x80 ? 2 ** (r & 0x7f) / 1e6 : 10 ** r / 1e6;
        }
        p += 4 + ((len + 3) & ~3);
      }
      interfaces.push({ linkType: dv.getUint16(o + 8, le), tsDivisor });
    } else if (type === 6) {
      const iface = interfaces[dv.getUint32(o + 8, le)];
      if (!iface) bad(o, 'packet on an undescribed interface');
      const ts = dv.getUint32(o + 12, le) * 2 ** 32 + dv.getUint32(o + 16, le);
      const caplen = dv.getUint32(o + 20, le);
      if (28 + caplen > length) bad(o, `packet of ${caplen} bytes runs past its block`);
      frames.push({ linkType: iface.linkType, timestampUs: ts / iface.tsDivisor, data: bytes.subarray(o + 28, o + 28 + caplen) });
    } else if (type === 3) {
      const iface = interfaces[0];
      if (!iface) bad(o, 'simple packet before any interface');
      const caplen = Math.min(dv.getUint32(o + 8, le), length - 16);
      frames.push({ linkType: iface.linkType, timestampUs: 0, data: bytes.subarray(o + 12, o + 12 + caplen) });
    }
    o += length;
  }
  return frames;
}
