// __NAME__: an audio driver in Apple's shape (SimpleAudio's). Start makes one __NAME__Device and adds
// it, which publishes it to the system's audio server (PulseAudio or PipeWire): a sink any application
// can play to, and a source any application can record from. `npm start`, then `pactl list short sinks`.
import { IOService, OSString } from '@driverkit/driverkit';
import { IOUserAudioDriver, kIOUserAudioDriverUserClientType } from '@driverkit/audiodriverkit';
import { __NAME__Device } from './__NAME__Device.js';
import { k__NAME__UserClientType } from './__NAME__UserClient.js';

const Log = (message: string) => console.log(`__NAME__ - ${message}`);

/** Samples per zero timestamp: how often the device's clock ticks. */
const kZeroTimestampPeriod = 2048;

export class __NAME__ extends IOUserAudioDriver {
  #device: __NAME__Device | null = null;

  override async Start(provider: IOService): Promise<void> {
    await super.Start(provider);
    const device = new __NAME__Device();
    if (!device.init(this, false, OSString.withCString('__NAME__-UID'), OSString.withCString('__NAME__-Model'), OSString.withCString('DriverKit'), kZeroTimestampPeriod)) {
      throw new Error('__NAME__: the device did not initialize');
    }
    device.SetName(OSString.withCString('__NAME__'));
    await this.AddObject(device);
    this.#device = device;
    this.RegisterService();
    Log(`Start() - ${this.Identity()}`);
  }

  /** What the driver publishes, for the user client. */
  Identity(): string {
    return this.#device?.Describe() ?? 'no device';
  }

  override async NewUserClient(type: number): Promise<IOService> {
    // The audio family's own user client keeps its type.
    if (type === kIOUserAudioDriverUserClientType || type !== k__NAME__UserClientType) return super.NewUserClient(type);
    return this.Create(this, 'UserClientProperties');
  }

  override async Stop(provider: IOService): Promise<void> {
    Log('Stop()');
    await super.Stop(provider);
    this.#device = null;
  }
}
