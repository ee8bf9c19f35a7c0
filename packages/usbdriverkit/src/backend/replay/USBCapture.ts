import { readFileSync } from 'node:fs';
import { IOReturnError, kIOReturnUnsupported } from '@driverkit/driverkit';
import { readCaptureFile, type CapturedFrame } from './PcapReader';
import { USB2PacketAssembler } from './USB2PacketAssembler';
import type { USBCapturePipeEvent, USBCaptureTransfer } from './USBCaptureTransfer';
import { decodeUSBPcap } from './USBPcapDecoder';
import { decodeUsbmon } from './UsbmonDecoder';

export const LINKTYPE_USB_LINUX = 189;
export const LINKTYPE_USBPCAP = 249;
export const LINKTYPE_USB_LINUX_MMAPPED = 220;
export const LINKTYPE_USB_2_0 = 288;

/** A capture of USB traffic, reduced to completed transfers per device, whatever it was recorded with. */
export class USBCapture {
  private constructor(
    readonly frames: CapturedFrame[],
    readonly transfers: USBCaptureTransfer[],
    /** Records that moved no data (pipe aborts and resets), in order. */
    readonly pipeEvents: USBCapturePipeEvent[],
  ) {}

  static fromFile(path: string): USBCapture {
    return USBCapture.fromBytes(new Uint8Array(readFileSync(path)));
  }

  /** Parses pcap or pcapng with usbmon (189, 220), USBPcap (249) or USB 2.0 packets (288). */
  static fromBytes(bytes: Uint8Array): USBCapture {
    const frames = readCaptureFile(bytes);
    const linkTypes = new Set(frames.map((f) => f.linkType));
    const transfers: USBCaptureTransfer[] = [];
    const pipeEvents: USBCapturePipeEvent[] = [];
    for (const lt of linkTypes) {
      const mine = frames.filter((f) => f.linkType === lt);
      if (lt === LINKTYPE_USB_LINUX || lt === LINKTYPE_USB_LINUX_MMAPPED) transfers.push(...decodeUsbmon(mine));
      else if (lt === LINKTYPE_USBPCAP) {
        const decoded = decodeUSBPcap(mine);
        transfers.push(...decoded.transfers);
        pipeEvents.push(...decoded.pipeEvents);
      }
      else if (lt === LINKTYPE_USB_2_0) transfers.push(...USB2PacketAssembler.assemble(mine));
      else throw new IOReturnError(kIOReturnUnsupported, `capture link type ${lt} is not USB (expected 189, 220, 249 or 288)`);
    }
    return new USBCapture(frames, transfers.sort((a, b) => a.timestampUs - b.timestampUs), pipeEvents.sort((a, b) => a.timestampUs - b.timestampUs));
  }

  /** Devices by "bus:address" that answered a GET_DESCRIPTOR(device), in order of appearance. */
  devices(): Array<{ bus: number; address: number }> {
    const seen = new Map<string, { bus: number; address: number }>();
    for (const t of this.transfers) {
      if (t.type === 'control' && t.setup?.bRequest === 6 && t.setup.wValue >> 8 === 1 && t.status === 'ok' && t.data.length >= 18 && t.address !== 0) seen.set(`${t.bus}:${t.address}`, { bus: t.bus, address: t.address });
    }
    return [...seen.values()];
  }

  transfersOf(bus: number, address: number): USBCaptureTransfer[] {
    return this.transfers.filter((t) => t.bus === bus && t.address === address);
  }
}
