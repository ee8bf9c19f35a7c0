import { IOReturnError, OSString, kIOReturnBadArgument, kIOReturnUnsupported } from '@driverkit/driverkit';
import type { IOUserAudioDriver } from './IOUserAudioDriver';
import { IOUserAudioObject } from './IOUserAudioObject';
import { IOUserAudioClassID, IOUserAudioTransportType } from './IOUserAudioTypes';

/** A zero timestamp: the sample time a period started at, and the host time (ns) it did. */
export interface IOUserAudioZeroTimestamp {
  sampleTime: bigint;
  hostTime: bigint;
}

const str = (v: OSString | string) => (typeof v === 'string' ? v : v.getCStringNoCopy());

/**
 * Mirrors `IOUserAudioClockDevice`: a device with a clock. The driver tells the system where its
 * clock is by calling {@link UpdateCurrentZeroTimestamp} once per `zeroTimestampPeriod` frames
 * (sample time += period, host time += the period's duration); the system runs its I/O from those
 * pairs, so the driver's clock paces everything, as on macOS.
 */
export class IOUserAudioClockDevice extends IOUserAudioObject {
  #uid = '';
  #model = '';
  #manufacturer = '';
  #supportsPrewarming = false;
  #period = 0;
  #rates: number[] = [];
  #rate = 0;
  #zts: IOUserAudioZeroTimestamp = { sampleTime: 0n, hostTime: 0n };
  #transport: number = IOUserAudioTransportType.Unknown;
  #running = false;

  /**
   * Mirrors `init(driver, supportsPrewarming, deviceUID, modelUID, manufacturerUID,
   * zeroTimestampPeriod)`; a subclass overrides it, calling super first. False when a UID is empty
   * or the period is not a positive frame count.
   */
  override init(driver?: IOUserAudioDriver, supportsPrewarming = false, deviceUID: OSString | string = '', modelUID: OSString | string = '', manufacturerUID: OSString | string = '', zeroTimestampPeriod = 0, classID: number = IOUserAudioClassID.ClockDevice): boolean {
    if (!driver || !str(deviceUID) || !Number.isInteger(zeroTimestampPeriod) || zeroTimestampPeriod <= 0) return false;
    this.bind(driver, classID);
    this.#supportsPrewarming = supportsPrewarming;
    this.#uid = str(deviceUID);
    this.#model = str(modelUID);
    this.#manufacturer = str(manufacturerUID);
    this.#period = zeroTimestampPeriod;
    return true;
  }

  GetDeviceUID(): string {
    return this.#uid;
  }

  GetModelUID(): string {
    return this.#model;
  }

  GetManufacturerUID(): string {
    return this.#manufacturer;
  }

  /** Mirrors `SetAvailableSampleRates(rates, count)`. */
  SetAvailableSampleRates(rates: readonly number[], count = rates.length): void {
    const list = rates.slice(0, count);
    for (const r of list) if (!(r >= 8000 && r <= 384000)) throw new IOReturnError(kIOReturnBadArgument, `SetAvailableSampleRates: ${r} Hz is outside 8000…384000`);
    this.#rates = [...list];
  }

  GetAvailableSampleRates(): number[] {
    return [...this.#rates];
  }

  /** Mirrors `SetSampleRate`: one of the available rates. */
  SetSampleRate(rate: number): void {
    if (!this.#rates.includes(rate)) throw new IOReturnError(kIOReturnUnsupported, `${this.CopyName() || this.#uid}: ${rate} Hz is not one of its sample rates (${this.#rates.join(', ')})`);
    this.#rate = rate;
  }

  GetSampleRate(): number {
    return this.#rate;
  }

  /** Mirrors `HandleChangeSampleRate`: the system asks for a rate; the default sets it. */
  HandleChangeSampleRate(rate: number): number | void | Promise<number | void> {
    this.SetSampleRate(rate);
  }

  GetZeroTimestampPeriod(): number {
    return this.#period;
  }

  SetZeroTimestampPeriod(period: number): void {
    if (!Number.isInteger(period) || period <= 0) throw new IOReturnError(kIOReturnBadArgument, `SetZeroTimestampPeriod: ${period} is not a positive frame count`);
    this.#period = period;
  }

  /** Mirrors `UpdateCurrentZeroTimestamp(sampleTime, hostTime)`; (0, 0) clears the clock. */
  UpdateCurrentZeroTimestamp(sampleTime: bigint | number, hostTime: bigint | number): void {
    this.#zts = { sampleTime: BigInt(sampleTime), hostTime: BigInt(hostTime) };
  }

  /** Mirrors `GetCurrentZeroTimestamp(&sampleTime, &hostTime)`. */
  GetCurrentZeroTimestamp(): IOUserAudioZeroTimestamp {
    return { ...this.#zts };
  }

  /** Mirrors `SetTransportType`. */
  SetTransportType(type: number): void {
    this.#transport = type;
  }

  GetTransportType(): number {
    return this.#transport;
  }

  /** Mirrors `StartIO(flags)`: a subclass starts its hardware (or timers) and calls super. */
  StartIO(_flags: number): number | void | Promise<number | void> {
    this.#running = true;
  }

  /** Mirrors `StopIO(flags)`. */
  StopIO(_flags: number): number | void | Promise<number | void> {
    this.#running = false;
  }

  IsRunning(): boolean {
    return this.#running;
  }

  get supportsPrewarming(): boolean {
    return this.#supportsPrewarming;
  }

  override describe(): Record<string, unknown> {
    return { ...super.describe(), DeviceUID: this.#uid, ModelUID: this.#model, ManufacturerUID: this.#manufacturer, SampleRate: this.#rate, AvailableSampleRates: [...this.#rates], ZeroTimestampPeriod: this.#period, TransportType: this.#transport, Running: this.#running };
  }
}
