import type { CapturedFrame } from './PcapReader';
import { readSetup, transferTypes, type USBCaptureTransfer } from './USBCaptureTransfer';

/**
 * Linux usbmon URBs (LINKTYPE_USB_LINUX 189: 48-byte header; LINKTYPE_USB_LINUX_MMAPPED 220: 64
 * bytes plus isochronous descriptors). A submission ('S') carries the setup packet and OUT data, its
 * completion ('C', same URB id) the status and IN data; each pair becomes one transfer.
 */
export function decodeUsbmon(frames: CapturedFrame[]): USBCaptureTransfer[] {
  const submitted = new Map<string, { setup: USBCaptureTransfer['setup']; out: Uint8Array }>();
  const transfers: USBCaptureTransfer[] = [];
  for (const f of frames) {
    const b = f.data;
    const headerLength = f.linkType === 220 ? 64 : 48;
    if (b.length < headerLength) continue;
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const id = dv.getBigUint64(0, true).toString();
    const kind = String.fromCharCode(b[8]!);
    const type = transferTypes[b[9]!] ?? 'bulk';
    const endpoint = b[10]!;
    const address = b[11]!;
    const bus = dv.getUint16(12, true);
    const status = dv.getInt32(28, true);
    const ndesc = f.linkType === 220 && type === 'isochronous' ? dv.getUint32(60, true) : 0;
    const data = b.subarray(headerLength + ndesc * 16);
    const key = `${bus}:${id}`;
    if (kind === 'S') {
      submitted.set(key, { setup: b[14] === 0 ? readSetup(b, 40) : null, out: endpoint & 0x80 ? new Uint8Array(0) : data });
    } else if (kind === 'C' || kind === 'E') {
      const s = submitted.get(key);
      submitted.delete(key);
      transfers.push({
        bus,
        address,
        endpoint,
        type,
        setup: s?.setup ?? null,
        data: endpoint & 0x80 ? data : (s?.out ?? new Uint8Array(0)),
        status: status === 0 ? 'ok' : status === -32 ? 'stall' : 'error',
        timestampUs: f.timestampUs,
      });
    }
  }
  return transfers;
}
