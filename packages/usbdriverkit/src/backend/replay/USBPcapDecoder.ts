import type { CapturedFrame } from './PcapReader';
import { readSetup, transferTypes, type USBCapturePipeEvent, type USBCaptureTransfer } from './USBCaptureTransfer';

// URB function codes (Windows usb.h) of the records USBPcap writes for pipe management.
const urbFunctions: Record<number, string> = {
  0x0002: 'abort-pipe',
  0x0030: 'reset-pipe-and-clear-stall',
  0x0031: 'reset-pipe',
  0x0032: 'clear-stall',
};

/**
 * Windows USBPcap packets (LINKTYPE_USBPCAP 249). Control transfers arrive in stages (setup, data,
 * status/complete); bulk and interrupt as a request (FDO→PDO) and a completion (PDO→FDO, info bit 0).
 * Completions become transfers; the setup and OUT data come from the matching request (IRP id).
 * Records of other transfer types (pipe aborts and resets) become pipe events, never transfers.
 */
export function decodeUSBPcap(frames: CapturedFrame[]): { transfers: USBCaptureTransfer[]; pipeEvents: USBCapturePipeEvent[] } {
  const pending = new Map<string, { setup: USBCaptureTransfer['setup']; out: Uint8Array }>();
  const transfers: USBCaptureTransfer[] = [];
  const pipeEvents: USBCapturePipeEvent[] = [];
  for (const f of frames) {
    const b = f.data;
    if (b.length < 27) continue;
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const headerLength = dv.getUint16(0, true);
    const irp = dv.getBigUint64(2, true).toString();
    const usbdStatus = dv.getUint32(10, true);
    const urbFunction = dv.getUint16(14, true);
    const completion = (b[16]! & 1) === 1;
    const bus = dv.getUint16(17, true);
    const address = dv.getUint16(19, true);
    const endpoint = b[21]!;
    const type = transferTypes[b[22]!];
    if (!type) {
      // Pipe management moves no data: one event per request (its completion repeats it).
      if (!completion) pipeEvents.push({ bus, address, endpoint, kind: urbFunctions[urbFunction] ?? `urb-function-0x${urbFunction.toString(16).padStart(4, '0')}`, timestampUs: f.timestampUs });
      continue;
    }
    const data = b.subarray(Math.min(headerLength, b.length));
    const stage = type === 'control' ? b[27] : undefined;
    const entry = pending.get(irp) ?? { setup: null, out: new Uint8Array(0) };
    if (!completion) {
      if (stage === 0 && data.length >= 8) entry.setup = readSetup(data);
      else if (stage === 1 || type !== 'control') entry.out = endpoint & 0x80 ? entry.out : data;
      pending.set(irp, entry);
      continue;
    }
    // Control IN data arrives in a data-stage completion before the final one; keep it.
    if (type === 'control' && stage === 1) {
      pending.set(irp, { ...entry, out: data });
      continue;
    }
    pending.delete(irp);
    const isIn = type === 'control' ? ((entry.setup?.bmRequestType ?? 0) & 0x80) !== 0 : (endpoint & 0x80) !== 0;
    transfers.push({
      bus,
      address,
      endpoint: type === 'control' ? (isIn ? 0x80 : 0) : endpoint,
      type,
      setup: entry.setup,
      data: type === 'control' ? (data.length > 0 ? data : entry.out) : isIn ? data : entry.out,
      status: usbdStatus === 0 ? 'ok' : usbdStatus === 0xc0000004 ? 'stall' : 'error',
      timestampUs: f.timestampUs,
    });
  }
  return { transfers, pipeEvents };
}
