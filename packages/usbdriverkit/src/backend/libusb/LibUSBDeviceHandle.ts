import { kIOReturnAborted, kIOReturnSuccess } from '@driverkit/driverkit';
import type { UsbDevice } from 'usb/index';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { USBDeviceHandle, USBIsochResult, USBPortState, USBSetupPacket, USBTransferResult } from '../USBBackend';
import { kUSBHostReturnPipeStalled } from '../../descriptors/USBConstants';
import { usbError, usbErrorCode } from './LibUSBErrors';

const requestTypes = ['standard', 'class', 'vendor', 'standard'] as const;
const recipients = ['device', 'interface', 'endpoint', 'other'] as const;

/**
 * An open device through `usb`. Its API has no cancel, so Abort completes the driver's pending
 * transfers at once with the abort status and the late result of the native transfer is dropped.
 */
export class LibUSBDeviceHandle implements USBDeviceHandle {
  readonly #pending = new Map<number | 'control', Set<(r: USBTransferResult) => void>>();
  readonly #opened = process.hrtime.bigint();
  #resetting = false;

  constructor(
    readonly device: UsbDevice,
    readonly id: string,
  ) {}

  /** Runs a native transfer that Abort can end early. */
  #track(key: number | 'control', run: () => Promise<USBTransferResult>): Promise<USBTransferResult> {
    return new Promise((resolve) => {
      const set = this.#pending.get(key) ?? new Set();
      this.#pending.set(key, set);
      let done = false;
      const finish = (r: USBTransferResult) => {
        if (done) return;
        done = true;
        set.delete(finish);
        resolve(r);
      };
      set.add(finish);
      run().then(finish, (e) => finish({ status: usbErrorCode(e), length: 0, data: null }));
    });
  }

  controlTransfer(setup: USBSetupPacket, dataOut: Uint8Array | null, timeoutMs: number): Promise<USBTransferResult> {
    const params = { requestType: requestTypes[(setup.bmRequestType >> 5) & 3]!, recipient: recipients[setup.bmRequestType & 3]!, request: setup.bRequest, value: setup.wValue, index: setup.wIndex };
    return this.#track('control', async () => {
      if (setup.bmRequestType & 0x80) {
        const data = await this.device.nativeControlTransferIn(params, timeoutMs, setup.wLength);
        return data ? { status: kIOReturnSuccess, length: data.length, data } : { status: kUSBHostReturnPipeStalled, length: 0, data: null };
      }
      const n = await this.device.nativeControlTransferOut(params, timeoutMs, dataOut ?? new Uint8Array(0));
      return n >= 0 ? { status: kIOReturnSuccess, length: n, data: null } : { status: kUSBHostReturnPipeStalled, length: 0, data: null };
    });
  }

  transfer(endpointAddress: number, dataOut: Uint8Array | null, lengthIn: number, timeoutMs: number): Promise<USBTransferResult> {
    const n = endpointAddress & 0x0f;
    return this.#track(endpointAddress, async () => {
      if (endpointAddress & 0x80) {
        const data = await this.device.nativeTransferIn(n, timeoutMs, lengthIn);
        return data ? { status: kIOReturnSuccess, length: data.length, data } : { status: kUSBHostReturnPipeStalled, length: 0, data: null };
      }
      const w = await this.device.nativeTransferOut(n, timeoutMs, dataOut ?? new Uint8Array(0));
      return w >= 0 ? { status: kIOReturnSuccess, length: w, data: null } : { status: kUSBHostReturnPipeStalled, length: 0, data: null };
    });
  }

  async isochTransfer(endpointAddress: number, dataOut: Uint8Array | null, frameLengths: number[], timeoutMs: number): Promise<USBIsochResult> {
    const n = endpointAddress & 0x0f;
    const status = (s: string) => (s === 'ok' ? kIOReturnSuccess : s === 'stall' ? kUSBHostReturnPipeStalled : kIOReturnAborted);
    try {
      if (endpointAddress & 0x80) {
        const r = await this.device.nativeIsochronousTransferIn(n, frameLengths, timeoutMs);
        const data = new Uint8Array(frameLengths.reduce((a, b) => a + b, 0));
        let offset = 0;
        const frames = (r.packets as Array<{ data?: DataView; status: string }>).map((p, i) => {
          const bytes = p.data ? new Uint8Array(p.data.buffer, p.data.byteOffset, p.data.byteLength) : new Uint8Array(0);
          data.set(bytes.subarray(0, frameLengths[i]), offset);
          offset += frameLengths[i]!;
          return { status: status(p.status), length: bytes.length };
        });
        return { status: kIOReturnSuccess, frames, data };
      }
      const r = await this.device.nativeIsochronousTransferOut(n, dataOut ?? new Uint8Array(0), frameLengths, timeoutMs);
      return { status: kIOReturnSuccess, frames: (r.packets as Array<{ bytesWritten: number; status: string }>).map((p) => ({ status: status(p.status), length: p.bytesWritten })), data: null };
    } catch (e) {
      throw usbError(`isochronous transfer on endpoint 0x${endpointAddress.toString(16)} of ${this.id}`, e);
    }
  }

  async #call(what: string, run: () => Promise<void>): Promise<void> {
    try {
      await run();
    } catch (e) {
      throw usbError(`${what} of USB device ${this.id}`, e);
    }
  }

  setConfiguration(value: number): Promise<void> {
    return this.#call(`SetConfiguration(${value})`, () => this.device.selectConfiguration(value));
  }

  async claimInterface(interfaceNumber: number, detachKernelDriver: boolean): Promise<void> {
    if (detachKernelDriver) await this.device.detachKernelDriver(interfaceNumber).catch(() => {});
    await this.#call(`claiming interface ${interfaceNumber}`, () => this.device.claimInterface(interfaceNumber));
  }

  releaseInterface(interfaceNumber: number): Promise<void> {
    return this.#call(`releasing interface ${interfaceNumber}`, () => this.device.releaseInterface(interfaceNumber));
  }

  setAlternateSetting(interfaceNumber: number, alternateSetting: number): Promise<void> {
    return this.#call(`selecting alternate setting ${alternateSetting} of interface ${interfaceNumber}`, () => this.device.selectAlternateInterface(interfaceNumber, alternateSetting));
  }

  clearHalt(endpointAddress: number): Promise<void> {
    return this.#call(`clearing the halt of endpoint 0x${endpointAddress.toString(16)}`, () => this.device.clearHalt(endpointAddress & 0x80 ? 'in' : 'out', endpointAddress & 0x0f));
  }

  abort(endpointAddress: number | null, status: number): void {
    for (const finish of [...(this.#pending.get(endpointAddress ?? 'control') ?? [])]) finish({ status, length: 0, data: null });
  }

  reset(): Promise<void> {
    this.#resetting = true;
    return this.#call('resetting', () => this.device.reset()).finally(() => (this.#resetting = false));
  }

  /**
   * From sysfs, where the kernel keeps what libusb does not say: the device's `removable` (fixed:
   * an internal port) and `power/runtime_status` (suspended). Overcurrent is not reported there as a
   * state (only a count of past events), so it reads false.
   */
  portState(): USBPortState {
    const dir = sysfsDeviceDirectory(Number(this.device.bus), Number(this.device.address));
    const read = (f: string) => {
      try {
        return dir ? readFileSync(join(dir, f), 'utf8').trim() : '';
      } catch {
        return '';
      }
    };
    return { type: read('removable') === 'fixed' ? 2 : 0, suspended: read('power/runtime_status') === 'suspended', overcurrent: false, resetting: this.#resetting };
  }

  /** libusb does not expose the bus frame counter; this counts 1 ms frames since the device was opened. */
  frameNumber(): { frame: bigint; time: bigint } {
    const now = process.hrtime.bigint();
    return { frame: (now - this.#opened) / 1_000_000n, time: now };
  }

  async close(): Promise<void> {
    for (const key of [...this.#pending.keys()]) this.abort(key === 'control' ? null : key, kIOReturnAborted);
    await this.device.close().catch((e: unknown) => {
      throw usbError(`closing USB device ${this.id}`, e);
    });
  }
}

/** The sysfs directory of the device at `bus`/`address` (/sys/bus/usb/devices/1-2 …), or null. */
function sysfsDeviceDirectory(bus: number, address: number): string | null {
  const base = '/sys/bus/usb/devices';
  try {
    for (const name of readdirSync(base)) {
      if (name.includes(':')) continue;
      const dir = join(base, name);
      try {
        if (Number(readFileSync(join(dir, 'busnum'), 'utf8')) === bus && Number(readFileSync(join(dir, 'devnum'), 'utf8')) === address) return dir;
      } catch {
        // not a device (a root hub's interface, say)
      }
    }
  } catch {
    // no USB bus on this machine
  }
  return null;
}
