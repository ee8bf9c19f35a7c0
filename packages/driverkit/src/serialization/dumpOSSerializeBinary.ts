import {
  kOSSerializeDataMask,
  kOSSerializeEndCollection,
  kOSSerializeNumber,
  kOSSerializeObject,
  kOSSerializeSymbol,
  kOSSerializeString,
  kOSSerializeData,
  kOSSerializeTypeMask,
} from './OSSerializeBinaryFormat';

const NAMES: Record<number, string> = {
  0x01: 'dictionary',
  0x02: 'array',
  0x03: 'set',
  0x04: 'number',
  0x08: 'symbol',
  0x09: 'string',
  0x0a: 'data',
  0x0b: 'boolean',
  0x0c: 'reference',
};

/**
 * Lists the key words of an OSSerializeBinary stream, one line each (`0x0004  0x81000003
 * dictionary 3 END`), for reading a message by eye when debugging. It does not validate: that is
 * {@link OSUnserializeBinary}'s job. It stops at the first word whose payload runs past the end.
 */
export function dumpOSSerializeBinary(bytes: Uint8Array, maxLines = 1000): string[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hex = (n: number, w = 8): string => `0x${n.toString(16).padStart(w, '0')}`;
  const lines: string[] = [];
  if (bytes.length < 4) return ['(too short for a signature)'];
  lines.push(`${hex(0, 4)}  ${hex(view.getUint32(0, true))}  signature`);
  let pos = 4;
  while (pos + 4 <= bytes.length && lines.length < maxLines) {
    const key = view.getUint32(pos, true);
    const type = (key & kOSSerializeTypeMask) >>> 24;
    const n = key & kOSSerializeDataMask;
    let line = `${hex(pos, 4)}  ${hex(key)}  ${NAMES[type] ?? `type 0x${type.toString(16)}?`} ${n}`;
    let size = 0;
    const t = key & kOSSerializeTypeMask;
    if (t === kOSSerializeNumber) {
      size = 8;
      if (pos + 12 <= bytes.length) line += ` = ${(BigInt(view.getUint32(pos + 8, true)) << 32n) | BigInt(view.getUint32(pos + 4, true))}`;
    } else if (t === kOSSerializeSymbol || t === kOSSerializeString || t === kOSSerializeData) {
      size = (n + 3) & ~3;
      if (pos + 4 + n <= bytes.length) {
        const body = bytes.subarray(pos + 4, pos + 4 + n);
        line += t === kOSSerializeData ? ` <${Buffer.from(body.subarray(0, 32)).toString('hex')}${n > 32 ? '…' : ''}>` : ` ${JSON.stringify(Buffer.from(body).toString('utf8').replace(/\0$/, ''))}`;
      }
    } else if (t === kOSSerializeObject) {
      line += ` (object #${n})`;
    }
    if (key & kOSSerializeEndCollection) line += ' END';
    lines.push(line);
    pos += 4 + size;
  }
  if (pos > bytes.length) lines.push(`(the last payload runs ${pos - bytes.length} bytes past the end)`);
  return lines;
}
