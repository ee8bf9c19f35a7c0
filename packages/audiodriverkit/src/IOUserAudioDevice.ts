import { IOReturnError, OSObject, OSString, kIOReturnBadArgument } from '@driverkit/driverkit';
import type { IOUserAudioControl } from './IOUserAudioControl';
import { IOUserAudioClockDevice } from './IOUserAudioClockDevice';
import type { IOUserAudioCustomProperty } from './IOUserAudioCustomProperty';
import type { IOUserAudioDriver } from './IOUserAudioDriver';
import type { IOUserAudioStream } from './IOUserAudioStream';
import { IOUserAudioClassID, IOUserAudioStreamDirection, type IOUserAudioIOOperationHandler } from './IOUserAudioTypes';

/**
 * Mirrors `IOUserAudioDevice`: a clock device with streams, controls and custom properties. Once the
 * driver adds it (`IOUserAudioDriver.AddObject`), its output stream is a sink and its input stream a
 * source in the system's audio server, under the device's name.
 */
export class IOUserAudioDevice extends IOUserAudioClockDevice {
  readonly #streams: IOUserAudioStream[] = [];
  readonly #controls: IOUserAudioControl[] = [];
  readonly #properties: IOUserAudioCustomProperty[] = [];
  #handler: IOUserAudioIOOperationHandler | null = null;
  #latency = { input: 0, output: 0 };
  #safety = { input: 0, output: 0 };
  #layouts = { input: [] as number[], output: [] as number[] };
  /** @internal How a configuration change reaches the system side (set by the driver when published). */
  configurationChanger: ((run: () => Promise<void>) => Promise<void>) | null = null;

  /** Mirrors `IOUserAudioDevice::Create(driver, supportsPrewarming, deviceUID, modelUID, manufacturerUID, zeroTimestampPeriod)`. */
  static Create(driver: IOUserAudioDriver, supportsPrewarming: boolean, deviceUID: OSString | string, modelUID: OSString | string, manufacturerUID: OSString | string, zeroTimestampPeriod: number): IOUserAudioDevice {
    const d = new this();
    if (!d.init(driver, supportsPrewarming, deviceUID, modelUID, manufacturerUID, zeroTimestampPeriod)) throw new IOReturnError(kIOReturnBadArgument, `IOUserAudioDevice.Create: a device needs a UID and a positive zero-timestamp period (got "${String(deviceUID)}", ${zeroTimestampPeriod})`);
    return d;
  }

  override init(driver?: IOUserAudioDriver, supportsPrewarming = false, deviceUID: OSString | string = '', modelUID: OSString | string = '', manufacturerUID: OSString | string = '', zeroTimestampPeriod = 0): boolean {
    return super.init(driver, supportsPrewarming, deviceUID, modelUID, manufacturerUID, zeroTimestampPeriod, IOUserAudioClassID.Device);
  }

  /** Mirrors `AddStream`: at most one stream per direction reaches the server (a sink, a source). */
  AddStream(stream: IOUserAudioStream): void {
    if (this.#streams.some((s) => s.GetDirection() === stream.GetDirection())) throw new IOReturnError(kIOReturnBadArgument, `${this.CopyName() || this.GetDeviceUID()} already has an ${stream.GetDirection() === IOUserAudioStreamDirection.Input ? 'input' : 'output'} stream`);
    this.#streams.push(stream.retain());
  }

  RemoveStream(stream: IOUserAudioStream): void {
    const i = this.#streams.indexOf(stream);
    if (i >= 0) this.#streams.splice(i, 1)[0]!.release();
  }

  GetStreams(): readonly IOUserAudioStream[] {
    return this.#streams;
  }

  AddControl(control: IOUserAudioControl): void {
    this.#controls.push(control.retain());
  }

  RemoveControl(control: IOUserAudioControl): void {
    const i = this.#controls.indexOf(control);
    if (i >= 0) this.#controls.splice(i, 1)[0]!.release();
  }

  GetControls(): readonly IOUserAudioControl[] {
    return this.#controls;
  }

  AddCustomProperty(property: IOUserAudioCustomProperty): void {
    this.#properties.push(property.retain());
  }

  /** Mirrors `SetIOOperationHandler`: runs on every I/O cycle (see IOUserAudioIOOperationHandler). */
  SetIOOperationHandler(handler: IOUserAudioIOOperationHandler | null): void {
    this.#handler = handler;
  }

  /** @internal The I/O engine calls it each cycle. */
  get ioOperationHandler(): IOUserAudioIOOperationHandler | null {
    return this.#handler;
  }

  SetInputLatency(frames: number): void {
    this.#latency.input = frames;
  }
  SetOutputLatency(frames: number): void {
    this.#latency.output = frames;
  }
  SetInputSafetyOffset(frames: number): void {
    this.#safety.input = frames;
  }
  SetOutputSafetyOffset(frames: number): void {
    this.#safety.output = frames;
  }
  SetPreferredInputChannelLayout(labels: readonly number[], count = labels.length): void {
    this.#layouts.input = labels.slice(0, count);
  }
  SetPreferredOutputChannelLayout(labels: readonly number[], count = labels.length): void {
    this.#layouts.output = labels.slice(0, count);
  }

  /**
   * Mirrors `RequestDeviceConfigurationChange(action, info)`: the system stops I/O, calls
   * {@link PerformDeviceConfigurationChange} on the work queue, publishes the device again as it now
   * is (the server sees the new rate or formats) and restarts I/O. Resolves when that is done.
   */
  async RequestDeviceConfigurationChange(action: bigint | number, info: OSObject | null): Promise<void> {
    const change = async () => {
      const r = await this.GetDriver().GetWorkQueue().DispatchSync(() => this.PerformDeviceConfigurationChange(BigInt(action), info));
      if (typeof r === 'number' && r >>> 0 !== 0) {
        await this.AbortDeviceConfigurationChange(BigInt(action), info);
        throw new IOReturnError(r >>> 0, `${this.CopyName() || this.GetDeviceUID()}: PerformDeviceConfigurationChange(${action}) failed`);
      }
    };
    if (this.configurationChanger) await this.configurationChanger(change);
    else await change();
  }

  /** Mirrors `PerformDeviceConfigurationChange(action, info)`: a subclass makes the change (I/O is stopped). */
  PerformDeviceConfigurationChange(_action: bigint, _info: OSObject | null): number | void | Promise<number | void> {}

  /** Mirrors `AbortDeviceConfigurationChange(action, info)`: a change that failed or was refused. */
  AbortDeviceConfigurationChange(_action: bigint, _info: OSObject | null): number | void | Promise<number | void> {}

  override describe(): Record<string, unknown> {
    return {
      ...super.describe(),
      InputLatency: this.#latency.input,
      OutputLatency: this.#latency.output,
      InputSafetyOffset: this.#safety.input,
      OutputSafetyOffset: this.#safety.output,
      Streams: this.#streams.map((s) => s.describe()),
      Controls: this.#controls.map((c) => c.describe()),
      CustomProperties: this.#properties.map((p) => p.describe()),
    };
  }
}
