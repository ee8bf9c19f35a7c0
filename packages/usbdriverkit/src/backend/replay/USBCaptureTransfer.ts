import type { USBSetupPacket } from '../USBBackend';

export type USBTransferType = 'control' | 'isochronous' | 'bulk' | 'interrupt';

/**
 * One completed transfer seen in a capture, whatever the format: what a replay needs. `data` is what
 * moved (IN: from the device; OUT: from the host); `status` is 'ok', 'stall' or 'error'.
 */
export interface USBCaptureTransfer {
  bus: number;
  address: number;
  /** With the direction bit (0x80 for IN); 0 or 0x80 for control. */
  endpoint: number;
  type: USBTransferType;
  setup: USBSetupPacket | null;
  data: Uint8Array;
  status: 'ok' | 'stall' | 'error';
  timestampUs: number;
}

/**
 * A record that moved no data: USBPcap logs pipe management (URB_FUNCTION_ABORT_PIPE,
 * SYNC_RESET_PIPE_AND_CLEAR_STALL, …) with transfer type 0xFE (IRP info) or 0xFF (unknown). A replay
 * must not serve these as transfers; it reports them instead.
 */
export interface USBCapturePipeEvent {
  bus: number;
  address: number;
  endpoint: number;
  /** What the URB function asked for, or `urb-function-0x…` for one this decoder does not name. */
  kind: string;
  timestampUs: number;
}

export const transferTypes: USBTransferType[] = ['isochronous', 'interrupt', 'control', 'bulk'];

export function readSetup(b: Uint8Array, o = 0): USBSetupPacket {
  return { bmRequestType: b[o]!, bRequest: b[o + 1]!, wValue: b[o + 2]! | (b[o + 3]! << 8), wIndex: b[o + 4]! | (b[o + 5]! << 8), wLength: b[o + 6]! | (b[o + 7]! << 8) };
}
