import { readFileSync } from 'node:fs';
import { IOReturnError, kIOReturnBadArgument, kIOReturnUnsupported } from '@driverkit/driverkit';

/** One captured frame: its bytes as captured, its length on the wire, and when (ns since 1970). */
export interface CapturedFrame {
  data: Uint8Array;
  /** The frame's length on the wire; more than `data.length` when the capture truncated it. */
  originalLength: number;
  timestampNs: bigint;
}

const LINKTYPE_ETHERNET = 1;

/**
 * Reads a capture file: classic pcap (either byte order, microsecond or nanosecond timestamps) or
 * pcapng (section header, interface description, enhanced and simple packet blocks; other blocks
 * skipped). Only Ethernet link types are accepted. Every length is checked against the file: a
 * damaged file is an error naming the offset, never a crash or an endless loop.
 */
export class CaptureFile {
  readonly frames: CapturedFrame[];
  readonly format: 'pcap' | 'pcapng';

  private constructor(format: 'pcap' | 'pcapng', frames: CapturedFrame[]) {
    this.format = format;
    this.frames = frames;
  }

  static read(path: string): CaptureFile {
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch (e) {
      throw new IOReturnError(kIOReturnBadArgument, `cannot read the capture ${path} (${(e as NodeJS.ErrnoException).code})`, { cause: e });
    }
    return CaptureFile.parse(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), path);
  }

  static parse(bytes: Uint8Array, name = 'the capture'): CaptureFile {
    if (bytes.length < 24) throw new IOReturnError(kIOReturnBadArgument, `${name} is too short to be a capture (${bytes.length} bytes)`);
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    const magic = v.getUint32(0, true);
    if (magic === 0x0a0d0d0a) return new CaptureFile('pcapng', pcapng(bytes, v, name));
    const formats: Record<number, { little: boolean; nano: boolean }> = {
      0xa1b2c3d4: { little: true, nano: false },
      0xd4c3b2a1: { little: false, nano: false },
      0xa1b23c4d: { little: true, nano: true },
      0x4d3cb2a1: { little: false, nano: true },
    };
    const f = formats[magic];
    if (!f) throw new IOReturnError(kIOReturnBadArgument, `${name} is neither pcap nor pcapng (magic 0x${magic.toString(16)})`);
    const linkType = v.getUint32(20, f.little) & 0x0fff_ffff;
    if (linkType !== LINKTYPE_ETHERNET) throw new IOReturnError(kIOReturnUnsupported, `${name}: link type ${linkType} is not Ethernet (1)`);
    const frames: CapturedFrame[] = [];
    for (let at = 24; at < bytes.length; ) {
      if (at + 16 > bytes.length) throw new IOReturnError(kIOReturnBadArgument, `${name}: a record header at offset ${at} runs past the end`);
      const sec = BigInt(v.getUint32(at, f.little));
      const frac = BigInt(v.getUint32(at + 4, f.little));
      const caplen = v.getUint32(at + 8, f.little);
      const len = v.getUint32(at + 12, f.little);
      if (at + 16 + caplen > bytes.length) throw new IOReturnError(kIOReturnBadArgument, `${name}: the record at offset ${at} claims ${caplen} bytes, past the end of the file`);
      frames.push({ data: bytes.slice(at + 16, at + 16 + caplen), originalLength: len, timestampNs: sec * 1_000_000_000n + (f.nano ? frac : frac * 1000n) });
      at += 16 + caplen;
    }
    return new CaptureFile('pcap', frames);
  }
}

function pcapng(bytes: Uint8Array, v: DataView, name: string): CapturedFrame[] {
  const frames: CapturedFrame[] = [];
  let little = true;
  // Per interface of the current section: link type and timestamp units per second.
  let interfaces: Array<{ linkType: number; unitsPerSecond: bigint }> = [];
  for (let at = 0; at < bytes.length; ) {
    if (at + 12 > bytes.length) throw new IOReturnError(kIOReturnBadArgument, `${name}: a block at offset ${at} runs past the end`);
    const type = v.getUint32(at, little);
    if (type === 0x0a0d0d0a) {
      const bom = v.getUint32(at + 8, true);
      if (bom === 0x1a2b3c4d) little = true;
      else if (bom === 0x4d3c2b1a) little = false;
      else throw new IOReturnError(kIOReturnBadArgument, `${name}: the section at offset ${at} has no byte-order magic`);
      interfaces = [];
    }
    const length = v.getUint32(at + 4, little);
    if (length < 12 || length % 4 !== 0 || at + length > bytes.length) throw new IOReturnError(kIOReturnBadArgument, `${name}: the block at offset ${at} has a bad length (${length})`);
    const body = at + 8;
    if (type === 1) {
      const linkType = v.getUint16(body, little);
      let unitsPerSecond = 1_000_000n;
      // Options from offset 8 of the body: if_tsresol (9) changes the timestamp unit.
      for (let o = body + 8; o + 4 <= at + length - 4; ) {
        const code = v.getUint16(o, little);
        const olen = v.getUint16(o + 2, little);
        if (code === 0) break;
        if (code === 9 && olen >= 1) {
          const r = bytes[o + 4]!;
          unitsPerSecond = r & 0x80 ? 2n ** BigInt(r & 0x7f) : 10n ** BigInt(r);
        }
        o += 4 + ((olen + 3) & ~3);
      }
      interfaces.push({ linkType, unitsPerSecond });
    } else if (type === 6 || type === 3) {
      const iface = type === 6 ? v.getUint32(body, little) : 0;
      const i = interfaces[iface];
      if (!i) throw new IOReturnError(kIOReturnBadArgument, `${name}: the packet at offset ${at} names interface ${iface}, which the section does not describe`);
      if (i.linkType !== LINKTYPE_ETHERNET) throw new IOReturnError(kIOReturnUnsupported, `${name}: interface ${iface} has link type ${i.linkType}, not Ethernet (1)`);
      let caplen: number;
      let len: number;
      let data: number;
      let ts = 0n;
      if (type === 6) {
        ts = (BigInt(v.getUint32(body + 4, little)) << 32n) | BigInt(v.getUint32(body + 8, little));
        caplen = v.getUint32(body + 12, little);
        len = v.getUint32(body + 16, little);
        data = body + 20;
      } else {
        len = v.getUint32(body, little);
        data = body + 4;
        caplen = Math.min(len, length - 16);
      }
      if (data + caplen > at + length - 4) throw new IOReturnError(kIOReturnBadArgument, `${name}: the packet at offset ${at} claims ${caplen} bytes, past its block`);
      frames.push({ data: bytes.slice(data, data + caplen), originalLength: len, timestampNs: (ts * 1_000_000_000n) / i.unitsPerSecond });
    }
    at += length;
  }
  return frames;
}
