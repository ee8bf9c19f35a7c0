import { IOReturnError, kIOReturnNotFound } from '@driverkit/driverkit';
import type { USBSetupPacket } from '../USBBackend';
import type { VirtualUSBDeviceModel } from '../virtual/VirtualUSBDevice';
import type { USBCapture } from './USBCapture';
import { parseStringDescriptor } from '../../descriptors/USBDescriptors';

/** An OUT transfer the driver sent that differs from the recording. */
export interface USBReplayMismatch {
  endpoint: number;
  expected: Uint8Array | null;
  actual: Uint8Array;
}

const setupKey = (s: USBSetupPacket) => `${s.bmRequestType}:${s.bRequest}:${s.wValue}:${s.wIndex}`;

/**
 * A device model built from a capture of a real device: descriptors from its GET_DESCRIPTOR
 * answers, every other control request answered as recorded (in order, per request), each IN
 * endpoint's data replayed in order, and the driver's OUT data checked against the recording.
 */
export class USBReplay {
  readonly mismatches: USBReplayMismatch[] = [];
  /** What the replay left out of the recording, and why (one line each). */
  readonly log: string[] = [];
  readonly #control = new Map<string, Array<Uint8Array | null>>();
  readonly #in = new Map<number, Uint8Array[]>();
  readonly #out = new Map<number, Uint8Array[]>();
  readonly model: VirtualUSBDeviceModel;

  constructor(capture: USBCapture, bus: number, address: number) {
    const transfers = capture.transfersOf(bus, address);
    let device: Uint8Array | null = null;
    const configurations: Uint8Array[] = [];
    const strings: Record<number, string> = {};
    for (const t of transfers) {
      if (t.type === 'control' && t.setup) {
        const s = t.setup;
        if (s.bRequest === 6 && s.bmRequestType === 0x80 && t.status === 'ok') {
          const type = s.wValue >> 8;
          const index = s.wValue & 0xff;
          if (type === 1 && t.data.length >= 18) device = t.data.slice(0, 18);
          if (type === 2 && t.data.length >= 9 && t.data.length >= (t.data[2]! | (t.data[3]! << 8))) configurations[index] = t.data.slice(0, t.data[2]! | (t.data[3]! << 8));
          if (type === 3 && index > 0) {
            try {
              strings[index] = parseStringDescriptor(t.data);
            } catch {
              // A truncated string answer (a driver asking for the length first) teaches nothing.
            }
          }
          if (type <= 3) continue;
        }
        if (s.bRequest === 5 || s.bRequest === 9) continue; // SET_ADDRESS, SET_CONFIGURATION: the virtual device does these
        const list = this.#control.get(setupKey(s)) ?? [];
        list.push(t.status === 'stall' ? null : t.data);
        this.#control.set(setupKey(s), list);
      } else if (t.status === 'ok') {
        const map = t.endpoint & 0x80 ? this.#in : this.#out;
        const list = map.get(t.endpoint) ?? [];
        list.push(t.data);
        map.set(t.endpoint, list);
      }
    }
    for (const e of capture.pipeEvents) {
      if (e.bus === bus && e.address === address) this.log.push(`skipped ${e.kind} on endpoint 0x${e.endpoint.toString(16).padStart(2, '0')} at ${e.timestampUs} µs: pipe management, not a transfer`);
    }
    if (!device) throw new IOReturnError(kIOReturnNotFound, `the capture has no device descriptor for device ${address} on bus ${bus}`);
    const cfgs = configurations.filter(Boolean);
    if (cfgs.length === 0) throw new IOReturnError(kIOReturnNotFound, `the capture has no complete configuration descriptor for device ${address} on bus ${bus}`);
    this.model = {
      device,
      configurations: cfgs,
      strings,
      control: (setup) => {
        const list = this.#control.get(setupKey(setup));
        if (!list?.length) return null;
        // The last answer keeps answering: drivers repeat requests more often than recordings do.
        const r = list.length > 1 ? list.shift()! : list[0]!;
        return r === null ? null : (setup.bmRequestType & 0x80 ? r : true);
      },
      in: (endpoint) => this.#in.get(endpoint)?.shift(),
      out: (endpoint, data) => {
        const expected = this.#out.get(endpoint)?.shift() ?? null;
        if (!expected || Buffer.compare(Buffer.from(expected), Buffer.from(data)) !== 0) this.mismatches.push({ endpoint, expected, actual: Uint8Array.from(data) });
      },
    };
  }

  /** The IN data still to be replayed on `endpoint`. */
  remaining(endpoint: number): number {
    return this.#in.get(endpoint)?.length ?? 0;
  }
}
