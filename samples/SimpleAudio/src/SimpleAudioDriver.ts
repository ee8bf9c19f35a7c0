// SimpleAudioDriver: the driver of Apple's sample "Creating an audio device driver", ported. It makes
// one SimpleAudioDevice and adds it, which publishes it to the system's audio server; its user client
// (SimpleAudioDriverUserClient) lets the client app toggle the sample rate and the input's data source.

import { IOService, OSString, type OSObject } from '@driverkit/driverkit';
import { IOUserAudioDriver, kIOUserAudioDriverUserClientType, type IOUserAudioObjectID } from '@driverkit/audiodriverkit';
import { SimpleAudioDevice } from './SimpleAudioDevice';
import { k_custom_config_change_action } from './SimpleAudioDriverKeys';

export { SimpleAudioDriverUserClient } from './SimpleAudioDriverUserClient';

const k_zero_time_stamp_period = 2048;

const DebugMsg = (message: string) => console.log(`SimpleAudioDriver - ${message}`);

interface SimpleAudioDriver_IVars {
  m_simple_audio_device: SimpleAudioDevice | null;
}

export class SimpleAudioDriver extends IOUserAudioDriver {
  ivars: SimpleAudioDriver_IVars = { m_simple_audio_device: null };

  override async Start(in_provider: IOService): Promise<void> {
    await super.Start(in_provider);

    // Create the audio device.
    const device_uid = OSString.withCString('SimpleAudioDevice-UID');
    const model_uid = OSString.withCString('SimpleAudioDevice-Model');
    const manufacturer_uid = OSString.withCString('Apple Inc.');
    const device_name = OSString.withCString('SimpleAudioDevice');

    const device = new SimpleAudioDevice();
    if (!device.init(this, false, device_uid, model_uid, manufacturer_uid, k_zero_time_stamp_period)) {
      throw new Error('failed to init the SimpleAudioDevice');
    }
    this.ivars.m_simple_audio_device = device;
    device.SetName(device_name);

    // Add the device object to the driver.
    await this.AddObject(device);

    // Register the service.
    this.RegisterService();
    DebugMsg('Start() - published SimpleAudioDevice');
  }

  override async NewUserClient(in_type: number): Promise<IOService> {
    if (in_type === kIOUserAudioDriverUserClientType) {
      return super.NewUserClient(in_type);
    }
    return this.Create(this, 'SimpleAudioDriverUserClientProperties');
  }

  override async StartDevice(in_object_id: IOUserAudioObjectID, in_flags: number): Promise<void> {
    return super.StartDevice(in_object_id, in_flags);
  }

  override async StopDevice(in_object_id: IOUserAudioObjectID, in_flags: number): Promise<void> {
    return super.StopDevice(in_object_id, in_flags);
  }

  async HandleTestConfigChange(): Promise<void> {
    const change_info = OSString.withCString('Toggle the sample rate');
    await this.ivars.m_simple_audio_device!.RequestDeviceConfigurationChange(k_custom_config_change_action, change_info as OSObject);
  }

  async HandleToggleDataSource(): Promise<number> {
    return this.ivars.m_simple_audio_device!.ToggleDataSource();
  }

  override async Stop(in_provider: IOService): Promise<void> {
    DebugMsg('Stop()');
    await super.Stop(in_provider);
    this.ivars.m_simple_audio_device = null;
  }
}
