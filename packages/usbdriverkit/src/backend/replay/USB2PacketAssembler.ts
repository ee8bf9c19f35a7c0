import type { CapturedFrame } from './PcapReader';
import { readSetup, type USBCaptureTransfer } from './USBCaptureTransfer';

// Packet identifiers (USB 2.0 table 8-1).
const PID = { OUT: 0xe1, IN: 0x69, SOF: 0xa5, SETUP: 0x2d, DATA0: 0xc3, DATA1: 0x4b, DATA2: 0x87, MDATA: 0x0f, ACK: 0xd2, NAK: 0x5a, STALL: 0x1e, NYET: 0x96, PING: 0xb4, SPLIT: 0x78 } as const;
const DATA = new Set<number>([PID.DATA0, PID.DATA1, PID.DATA2, PID.MDATA]);

interface Transaction {
  token: number;
  address: number;
  endpoint: number;
  data: Uint8Array | null;
  handshake: number | null;
  timestampUs: number;
}

interface ControlInProgress {
  setup: ReturnType<typeof readSetup>;
  data: number[];
  timestampUs: number;
}

/**
 * Rebuilds transfers from raw USB 2.0 packets (LINKTYPE_USB_2_0 288, as hardware analyzers record
 * them): token + data + handshake packets become transactions; a control transfer is its SETUP
 * transaction, the data stage up to wLength or a short packet, and the status stage; a bulk or
 * interrupt transfer is its data packets up to a short one. NAKed and retried transactions count
 * once (a repeated DATA toggle is a retry); STALL ends a transfer as stalled. Endpoints' max packet
 * sizes come from the descriptors the capture itself carries (EP0's from the device descriptor).
 */
export class USB2PacketAssembler {
  readonly transfers: USBCaptureTransfer[] = [];
  readonly #control = new Map<number, ControlInProgress>();
  readonly #bulk = new Map<string, { data: number[]; timestampUs: number }>();
  readonly #toggles = new Map<string, number>();
  readonly #maxPacket = new Map<string, number>();
  readonly #interrupt = new Set<string>();
  #current: Transaction | null = null;
  /** The DATA PID of the current transaction: a retry repeats its toggle. */
  #dataPid = 0;

  static assemble(frames: CapturedFrame[]): USBCaptureTransfer[] {
    const a = new USB2PacketAssembler();
    for (const f of frames) a.packet(f.data, f.timestampUs);
    a.#finishTransaction();
    return a.transfers;
  }

  packet(p: Uint8Array, timestampUs: number): void {
    if (p.length === 0) return;
    const pid = p[0]!;
    if (pid === PID.SETUP || pid === PID.IN || pid === PID.OUT || pid === PID.PING) {
      this.#finishTransaction();
      if (p.length < 3) return;
      const word = p[1]! | (p[2]! << 8);
      this.#current = { token: pid, address: word & 0x7f, endpoint: (word >> 7) & 0x0f, data: null, handshake: null, timestampUs };
    } else if (DATA.has(pid)) {
      if (this.#current && !this.#current.data) {
        // Strip the PID and the CRC16.
        this.#current.data = p.subarray(1, Math.max(1, p.length - 2));
        this.#dataPid = pid;
      }
    } else if (pid === PID.ACK || pid === PID.NAK || pid === PID.STALL || pid === PID.NYET) {
      if (this.#current) this.#current.handshake = pid;
      this.#finishTransaction();
    }
    // SOF and SPLIT carry no data of their own.
  }

  #finishTransaction(): void {
    const t = this.#current;
    this.#current = null;
    if (!t || t.token === PID.PING) return;
    // An IN answered with data is complete even when the host's ACK was not captured.
    const handshake = t.handshake ?? (t.token === PID.IN && t.data ? PID.ACK : null);
    if (handshake === PID.NAK || handshake === null) return;
    const key = `${t.address}:${t.endpoint}:${t.token === PID.IN ? 'in' : 'out'}`;
    if (handshake === PID.STALL) return this.#stall(t);
    if (t.token === PID.SETUP) {
      if (!t.data || t.data.length < 8) return;
      this.#toggles.delete(`${t.address}:0:in`);
      this.#toggles.delete(`${t.address}:0:out`);
      this.#control.set(t.address, { setup: readSetup(t.data), data: [], timestampUs: t.timestampUs });
      return;
    }
    // A retried transaction repeats its DATA toggle: count it once.
    if (t.data && this.#toggles.get(key) === this.#dataPid && t.endpoint !== 0) return;
    this.#toggles.set(key, this.#dataPid);
    if (t.endpoint === 0) return this.#controlStage(t);
    this.#bulkPacket(t, key);
  }

  #controlStage(t: Transaction): void {
    const c = this.#control.get(t.address);
    if (!c) return;
    const dirIn = (c.setup.bmRequestType & 0x80) !== 0;
    const isDataStage = c.setup.wLength > 0 && (t.token === PID.IN) === dirIn && c.data.length < c.setup.wLength;
    if (isDataStage && t.data) {
      c.data.push(...t.data);
      const mps = this.#maxPacket.get(`${t.address}:0`) ?? 8;
      if (t.data.length < mps || c.data.length >= c.setup.wLength) c.data.length = Math.min(c.data.length, c.setup.wLength);
      return;
    }
    // The status stage: opposite direction (or IN for no-data requests), zero length.
    if ((t.token === PID.IN) !== dirIn || c.setup.wLength === 0) {
      this.#control.delete(t.address);
      this.#complete({ address: t.address, endpoint: dirIn ? 0x80 : 0, type: 'control', setup: c.setup, data: Uint8Array.from(c.data), status: 'ok', timestampUs: c.timestampUs });
    }
  }

  #bulkPacket(t: Transaction, key: string): void {
    const isIn = t.token === PID.IN;
    const b = this.#bulk.get(key) ?? { data: [], timestampUs: t.timestampUs };
    b.data.push(...(t.data ?? []));
    const ep = `${t.address}:${t.endpoint | (isIn ? 0x80 : 0)}`;
    const mps = this.#maxPacket.get(ep) ?? 64;
    // The wire does not show the host's transfer length: an interrupt transfer is taken to be one
    // packet (drivers read max-packet-size reports), a bulk transfer runs to a short packet.
    const interrupt = this.#interrupt.has(ep);
    if (interrupt || !t.data || t.data.length < mps) {
      this.#bulk.delete(key);
      this.#complete({ address: t.address, endpoint: t.endpoint | (isIn ? 0x80 : 0), type: interrupt ? 'interrupt' : 'bulk', setup: null, data: Uint8Array.from(b.data), status: 'ok', timestampUs: b.timestampUs });
    } else this.#bulk.set(key, b);
  }

  #stall(t: Transaction): void {
    if (t.endpoint === 0) {
      const c = this.#control.get(t.address);
      this.#control.delete(t.address);
      if (c) this.#complete({ address: t.address, endpoint: c.setup.bmRequestType & 0x80 ? 0x80 : 0, type: 'control', setup: c.setup, data: new Uint8Array(0), status: 'stall', timestampUs: c.timestampUs });
      return;
    }
    const endpoint = t.endpoint | (t.token === PID.IN ? 0x80 : 0);
    this.#complete({ address: t.address, endpoint, type: this.#interrupt.has(`${t.address}:${endpoint}`) ? 'interrupt' : 'bulk', setup: null, data: new Uint8Array(0), status: 'stall', timestampUs: t.timestampUs });
  }

  #complete(x: Omit<USBCaptureTransfer, 'bus'>): void {
    const t: USBCaptureTransfer = { bus: 0, ...x };
    this.transfers.push(t);
    // Learn max packet sizes from the descriptors as they go by.
    if (t.type === 'control' && t.setup?.bRequest === 6 && t.status === 'ok') {
      const type = t.setup.wValue >> 8;
      if (type === 1 && t.data.length >= 8) this.#maxPacket.set(`${t.address}:0`, t.data[7]!);
      if (type === 2) {
        for (let o = 0; o + 2 <= t.data.length && t.data[o]! > 0; o += t.data[o]!) {
          if (t.data[o + 1] !== 5 || o + 6 > t.data.length) continue;
          const ep = `${t.address}:${t.data[o + 2]}`;
          this.#maxPacket.set(ep, (t.data[o + 4]! | (t.data[o + 5]! << 8)) & 0x7ff);
          if ((t.data[o + 3]! & 3) === 3) this.#interrupt.add(ep);
        }
      }
    }
    // SET_ADDRESS moves the device: what was learned at address 0 follows it.
    if (t.type === 'control' && t.setup?.bRequest === 5 && t.setup.bmRequestType === 0 && t.status === 'ok') {
      const mps = this.#maxPacket.get(`${t.address}:0`);
      if (mps) this.#maxPacket.set(`${t.setup.wValue}:0`, mps);
    }
  }
}
