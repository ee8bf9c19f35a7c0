import { IOReturnError, kIOReturnBadArgument } from '@driverkit/driverkit';

/** One function of an `lspci -x`-style dump: its address and its config-space bytes. */
export interface PCIConfigDumpFunction {
  domain: number;
  bus: number;
  device: number;
  function: number;
  /** The header line as dumped (`00:02.0 PCI bridge: …`). */
  title: string;
  bytes: Uint8Array;
}

const HEADER = /^(?:([0-9a-f]{4,}):)?([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])\s+(.*)$/i;
const HEX_LINE = /^([0-9a-f]{2,3}):((?:\s[0-9a-f]{2}){1,16})\s*$/i;

/**
 * Reads the text `lspci -x`, `-xxx` or `-xxxx` prints (and `lspci -F` reads back): per function a
 * header line, optionally decoded lines, then hex lines `00: 86 80 …`. Bytes must come in order
 * from offset 0; the function's config space is as long as its last hex line reaches (64, 256 or
 * 4096). A gap or a malformed hex line is refused with its line number.
 */
export function parsePCIConfigDump(text: string): PCIConfigDumpFunction[] {
  const out: PCIConfigDumpFunction[] = [];
  let current: { head: Omit<PCIConfigDumpFunction, 'bytes'>; bytes: number[] } | null = null;
  const finish = () => {
    if (current && current.bytes.length > 0) out.push({ ...current.head, bytes: Uint8Array.from(current.bytes) });
    current = null;
  };
  text.split(/\r?\n/).forEach((line, i) => {
    const hex = HEX_LINE.exec(line);
    if (hex && current) {
      const offset = parseInt(hex[1]!, 16);
      if (offset !== current.bytes.length) throw new IOReturnError(kIOReturnBadArgument, `config dump line ${i + 1}: offset 0x${offset.toString(16)} follows ${current.bytes.length} bytes (dumps must be contiguous from 0)`);
      current.bytes.push(...hex[2]!.trim().split(/\s+/).map((b) => parseInt(b, 16)));
      return;
    }
    const head = HEADER.exec(line);
    if (head && !line.startsWith(' ') && !line.startsWith('\t')) {
      finish();
      current = { head: { domain: head[1] ? parseInt(head[1], 16) : 0, bus: parseInt(head[2]!, 16), device: parseInt(head[3]!, 16), function: parseInt(head[4]!, 16), title: line }, bytes: [] };
    }
  });
  finish();
  for (const f of out) {
    if (f.bytes.length < 64) throw new IOReturnError(kIOReturnBadArgument, `config dump of ${f.title}: ${f.bytes.length} bytes, fewer than the 64-byte header`);
  }
  return out;
}
