// SimpleAudioDevice: a mono 16-bit device at 44.1 or 48 kHz whose input is a sine tone (440 or
// 660 Hz) or its own output looped back, at the input volume control's level, ported from Apple's
// sample "Creating an audio device driver". A timer stands in for the interrupt that would report the
// clock: every zero-timestamp period it calls UpdateCurrentZeroTimestamp.

import {
  IOBufferMemoryDescriptor,
  IODispatchQueue,
  IOReturnError,
  IOTimerDispatchSource,
  OSAction,
  OSString,
  kIOMemoryDirectionInOut,
  kIOReturnNoMemory,
  kIOReturnSuccess,
  kIOTimerClockMachAbsoluteTime,
  mach_absolute_time,
  type OSObject,
} from '@driverkit/driverkit';
import {
  IOUserAudioChannelLabel,
  IOUserAudioClassID,
  IOUserAudioCustomProperty,
  IOUserAudioCustomPropertyDataType,
  IOUserAudioDevice,
  IOUserAudioFormatFlags,
  IOUserAudioFormatID,
  IOUserAudioIOOperation,
  IOUserAudioLevelControl,
  IOUserAudioObjectPropertyElementMain,
  IOUserAudioObjectPropertyScope,
  IOUserAudioSelectorControl,
  IOUserAudioStream,
  IOUserAudioStreamDirection,
  IOUserAudioTransportType,
  type IOUserAudioDriver,
  type IOUserAudioObjectID,
  type IOUserAudioSelectorValueDescription,
  type IOUserAudioStreamBasicDescription,
} from '@driverkit/audiodriverkit';
import {
  k_custom_config_change_action,
  kSimpleAudioDriverCustomPropertyDataValue0,
  kSimpleAudioDriverCustomPropertyDataValue1,
  kSimpleAudioDriverCustomPropertyQualifier0,
  kSimpleAudioDriverCustomPropertyQualifier1,
  kSimpleAudioDriverCustomPropertySelector,
} from './SimpleAudioDriverKeys';

const kSampleRate_1 = 44100.0;
const kSampleRate_2 = 48000.0;

const kNumInputDataSources = 3;

const DebugMsg = (message: string) => console.log(`SimpleAudioDevice - ${message}`);

interface SimpleAudioDevice_IVars {
  m_driver: IOUserAudioDriver;
  m_work_queue: IODispatchQueue;

  m_zts_host_ticks_per_buffer: bigint;

  m_stream_format: IOUserAudioStreamBasicDescription;

  m_output_stream: IOUserAudioStream;
  m_output_memory_map: Int16Array | null;

  m_input_stream: IOUserAudioStream;
  m_input_memory_map: Int16Array | null;

  m_input_volume_control: IOUserAudioLevelControl;
  m_input_selector_control: IOUserAudioSelectorControl;
  m_data_sources: IOUserAudioSelectorValueDescription[];

  m_zts_timer_event_source: IOTimerDispatchSource;
  m_zts_timer_occurred_action: OSAction;

  m_tone_sample_index: number;
}

export class SimpleAudioDevice extends IOUserAudioDevice {
  ivars!: SimpleAudioDevice_IVars;

  override init(in_driver?: IOUserAudioDriver, in_supports_prewarming = false, in_device_uid: OSString | string = '', in_model_uid: OSString | string = '', in_manufacturer_uid: OSString | string = '', in_zero_timestamp_period = 0): boolean {
    const success = super.init(in_driver, in_supports_prewarming, in_device_uid, in_model_uid, in_manufacturer_uid, in_zero_timestamp_period);
    if (!success || !in_driver) {
      return false;
    }

    const output_stream_name = OSString.withCString('SimpleOutputStream');
    const input_stream_name = OSString.withCString('SimpleInputStream');
    const input_volume_control_name = OSString.withCString('SimpleInputVolumeControl');
    const input_data_source_control = OSString.withCString('Input Tone Frequency Control');

    // Custom property information.
    const prop_addr = { selector: kSimpleAudioDriverCustomPropertySelector, scope: IOUserAudioObjectPropertyScope.Global, element: IOUserAudioObjectPropertyElementMain };

    // Configure the device and add stream objects.
    const m_data_sources: IOUserAudioSelectorValueDescription[] = [
      { m_value: 440, m_name: OSString.withCString('Sine Tone 440') },
      { m_value: 660, m_name: OSString.withCString('Sine Tone 660') },
      { m_value: 0, m_name: OSString.withCString('Loopback') },
    ];

    // Set up stream formats and other stream-related properties.
    const sample_rates = [kSampleRate_1, kSampleRate_2];
    this.SetAvailableSampleRates(sample_rates, 2);
    this.SetSampleRate(kSampleRate_1);
    const channels_per_frame = 1;
    const input_channel_layout = [IOUserAudioChannelLabel.Mono];
    const output_channel_layout = [IOUserAudioChannelLabel.Mono];

    const format = (rate: number): IOUserAudioStreamBasicDescription => ({
      mSampleRate: rate,
      mFormatID: IOUserAudioFormatID.LinearPCM,
      mFormatFlags: IOUserAudioFormatFlags.FormatFlagIsSignedInteger | IOUserAudioFormatFlags.FormatFlagsNativeEndian,
      mBytesPerPacket: 2 * channels_per_frame,
      mFramesPerPacket: 1,
      mBytesPerFrame: 2 * channels_per_frame,
      mChannelsPerFrame: channels_per_frame,
      mBitsPerChannel: 16,
    });
    const stream_formats = [format(kSampleRate_1), format(kSampleRate_2)];

    // Add a custom property for the audio driver.
    const custom_property = IOUserAudioCustomProperty.Create(in_driver, prop_addr, true, IOUserAudioCustomPropertyDataType.String, IOUserAudioCustomPropertyDataType.String);

    // Set the qualifier and data-value pair on the custom property.
    custom_property.SetQualifierAndDataValue(OSString.withCString(kSimpleAudioDriverCustomPropertyQualifier0), OSString.withCString(kSimpleAudioDriverCustomPropertyDataValue0));

    // Set another qualifier and data-value pair on the custom property.
    custom_property.SetQualifierAndDataValue(OSString.withCString(kSimpleAudioDriverCustomPropertyQualifier1), OSString.withCString(kSimpleAudioDriverCustomPropertyDataValue1));
    this.AddCustomProperty(custom_property);

    // Create the IOBufferMemoryDescriptor ring buffers for the output and input streams.
    const buffer_size_bytes = in_zero_timestamp_period * 2 * channels_per_frame;
    const output_io_ring_buffer = IOBufferMemoryDescriptor.Create(kIOMemoryDirectionInOut, buffer_size_bytes);
    const input_io_ring_buffer = IOBufferMemoryDescriptor.Create(kIOMemoryDirectionInOut, buffer_size_bytes);

    // Create an output/input stream object and pass in the I/O ring buffer memory descriptor.
    const m_output_stream = IOUserAudioStream.Create(in_driver, IOUserAudioStreamDirection.Output, output_io_ring_buffer);
    const m_input_stream = IOUserAudioStream.Create(in_driver, IOUserAudioStreamDirection.Input, input_io_ring_buffer);

    // Configure stream properties: name, available formats, and current format.
    m_output_stream.SetName(output_stream_name);
    m_output_stream.SetAvailableStreamFormats(stream_formats, 2);
    const m_stream_format = stream_formats[0]!;
    m_output_stream.SetCurrentStreamFormat(m_stream_format);

    m_input_stream.SetName(input_stream_name);
    m_input_stream.SetAvailableStreamFormats(stream_formats, 2);
    m_input_stream.SetCurrentStreamFormat(m_stream_format);

    // Add a stream object to the driver.
    this.AddStream(m_output_stream);
    this.AddStream(m_input_stream);

    // Create the volume control object for the input stream.
    const m_input_volume_control = IOUserAudioLevelControl.Create(in_driver, true, -6.0, { minDB: -96.0, maxDB: 0.0 }, IOUserAudioObjectPropertyElementMain, IOUserAudioObjectPropertyScope.Input, IOUserAudioClassID.VolumeControl);
    m_input_volume_control.SetName(input_volume_control_name);

    // Add the volume control to the device object.
    this.AddControl(m_input_volume_control);

    // Create the input data source selector control for controlling the sine tone frequency.
    const m_input_selector_control = IOUserAudioSelectorControl.Create(in_driver, true, IOUserAudioObjectPropertyElementMain, IOUserAudioObjectPropertyScope.Input, IOUserAudioClassID.DataSourceControl);
    m_input_selector_control.AddControlValueDescriptions(m_data_sources, kNumInputDataSources);
    // Set the data source selector's current value to tone with a frequency of 440 Hz.
    m_input_selector_control.SetCurrentSelectedValues([m_data_sources[0]!.m_value], 1);
    m_input_selector_control.SetName(input_data_source_control);

    // Add the data-source selector control to the driver.
    this.AddControl(m_input_selector_control);

    // Configure device-related information.
    this.SetPreferredOutputChannelLayout(output_channel_layout, channels_per_frame);
    this.SetPreferredInputChannelLayout(input_channel_layout, channels_per_frame);
    this.SetTransportType(IOUserAudioTransportType.Virtual);

    // Initialize the timer that stands in for a real interrupt.
    const m_work_queue = in_driver.GetWorkQueue();
    const m_zts_timer_event_source = IOTimerDispatchSource.Create(m_work_queue);

    // Create a timer action to generate timestamps.
    const m_zts_timer_occurred_action = OSAction.Create(this, 'ZtsTimerOccurred', 8);
    m_zts_timer_event_source.SetHandler(m_zts_timer_occurred_action);

    this.ivars = {
      m_driver: in_driver,
      m_work_queue,
      m_zts_host_ticks_per_buffer: 0n,
      m_stream_format,
      m_output_stream,
      m_output_memory_map: null,
      m_input_stream,
      m_input_memory_map: null,
      m_input_volume_control,
      m_input_selector_control,
      m_data_sources,
      m_zts_timer_event_source,
      m_zts_timer_occurred_action,
      m_tone_sample_index: 0,
    };

    const io_operation = (_in_device: IOUserAudioObjectID, in_io_operation: IOUserAudioIOOperation, in_io_buffer_frame_size: number, in_sample_time: bigint): number => {
      if (in_io_operation === IOUserAudioIOOperation.WriteEnd) {
        // no-op, Host has written data to the output buffer
      } else if (in_io_operation === IOUserAudioIOOperation.BeginRead) {
        // Either generate tone, or loopback data from the output buffer.
        const [tone_selector_value = 0] = this.ivars.m_input_selector_control.GetCurrentSelectedValues(1);

        // Loopback output to input buffer.
        if (tone_selector_value === 0) {
          if (this.ivars.m_input_memory_map === null || this.ivars.m_output_memory_map === null) {
            return kIOReturnNoMemory;
          }

          const input_volume_level = this.ivars.m_input_volume_control.GetScalarValue();

          const format = this.ivars.m_stream_format;
          const output_buffer = this.ivars.m_output_memory_map;
          const input_buffer = this.ivars.m_input_memory_map;
          const first = Number(BigInt(format.mChannelsPerFrame) * in_sample_time);

          for (let i = 0; i < format.mChannelsPerFrame * in_io_buffer_frame_size; i++) {
            const input_buffer_index = (first + i) % input_buffer.length;
            const output_buffer_index = (first + i) % output_buffer.length;
            // C++ converts the float product back to int16 by truncation.
            input_buffer[input_buffer_index] = Math.trunc(input_volume_level * output_buffer[output_buffer_index]!);
          }
        } else {
          // Generate tone using the selector control value as the tone frequency.
          const frequency = tone_selector_value;
          this.GenerateToneForInput(frequency, in_sample_time, in_io_buffer_frame_size);
        }
      }

      return kIOReturnSuccess;
    };

    this.SetIOOperationHandler(io_operation);

    return true;
  }

  override async StartIO(in_flags: number): Promise<number> {
    DebugMsg(`Start I/O: device ${this.GetObjectID()}`);

    return this.ivars.m_work_queue.DispatchSync(async () => {
      // Tell IOUserAudioObject base class to start I/O for the device.
      await super.StartIO(in_flags);

      const output_iomd = this.ivars.m_output_stream.GetIOMemoryDescriptor();
      const out = output_iomd.GetBytes();
      this.ivars.m_output_memory_map = new Int16Array(out.buffer, out.byteOffset, out.length >> 1);

      const input_iomd = this.ivars.m_input_stream.GetIOMemoryDescriptor();
      const inp = input_iomd.GetBytes();
      this.ivars.m_input_memory_map = new Int16Array(inp.buffer, inp.byteOffset, inp.length >> 1);

      // Start the timers to send timestamps and generate sine tone on the stream I/O buffer.
      return this.StartTimers();
    });
  }

  override async StopIO(in_flags: number): Promise<number> {
    DebugMsg(`Stop IO: device ${this.GetObjectID()}`);

    // Tell the IOUserAudioObject base class to stop I/O for the device.
    return this.ivars.m_work_queue.DispatchSync(async () => {
      // Stop the timers for timestamps and sine tone generator.
      this.StopTimers();

      await super.StopIO(in_flags);
      return kIOReturnSuccess;
    });
  }

  override PerformDeviceConfigurationChange(change_action: bigint, in_change_info: OSObject | null): number {
    DebugMsg(`change action ${change_action}`);
    let ret = kIOReturnSuccess;
    switch (change_action) {
      // Add custom config change handlers.
      case k_custom_config_change_action: {
        if (in_change_info instanceof OSString) {
          DebugMsg(in_change_info.getCStringNoCopy());
        }

        // Toggle the sample rate of the device.
        const rate_to_set = Math.trunc(this.GetSampleRate()) !== Math.trunc(kSampleRate_1) ? kSampleRate_1 : kSampleRate_2;
        try {
          this.SetSampleRate(rate_to_set);
          // Update the stream formats with the new rate.
          this.ivars.m_input_stream.DeviceSampleRateChanged(rate_to_set);
          this.ivars.m_output_stream.DeviceSampleRateChanged(rate_to_set);
        } catch (e) {
          ret = e instanceof IOReturnError ? e.code : kIOReturnNoMemory;
        }
        break;
      }

      default:
        super.PerformDeviceConfigurationChange(change_action, in_change_info);
        break;
    }

    // Update the cached format.
    this.ivars.m_stream_format = this.ivars.m_input_stream.GetCurrentStreamFormat();

    return ret;
  }

  override AbortDeviceConfigurationChange(change_action: bigint, in_change_info: OSObject | null): void {
    // Handle aborted configuration changes as necessary.
    super.AbortDeviceConfigurationChange(change_action, in_change_info);
  }

  override HandleChangeSampleRate(in_sample_rate: number): void {
    // This method runs when the HAL changes the sample rate of the device.
    // Add custom operations here to configure hardware and return success
    // to continue with the sample rate change.
    this.SetSampleRate(in_sample_rate);
  }

  static FloatToInt16(in_sample: number): number {
    if (in_sample > 1.0) {
      in_sample = 1.0;
    } else if (in_sample < -1.0) {
      in_sample = -1.0;
    }
    return Math.trunc(in_sample * 0x7fff);
  }

  StartTimers(): number {
    this.UpdateTimers();

    // Clear the device's timestamps.
    this.UpdateCurrentZeroTimestamp(0, 0);
    const current_time = mach_absolute_time();

    // Start the timer. The first timestamp occurs when the timer goes off.
    this.ivars.m_zts_timer_event_source.WakeAtTime(kIOTimerClockMachAbsoluteTime, current_time + this.ivars.m_zts_host_ticks_per_buffer, 0);
    this.ivars.m_zts_timer_event_source.SetEnable(true);
    return kIOReturnSuccess;
  }

  StopTimers(): void {
    this.ivars.m_zts_timer_event_source.SetEnable(false);
  }

  UpdateTimers(): void {
    // Mach ticks are nanoseconds here (mach_timebase_info is 1/1).
    const sample_rate = this.ivars.m_stream_format.mSampleRate;
    const host_ticks_per_buffer = (this.GetZeroTimestampPeriod() * 1e9) / sample_rate;
    this.ivars.m_zts_host_ticks_per_buffer = BigInt(Math.trunc(host_ticks_per_buffer));
  }

  ZtsTimerOccurred(_action: OSAction, time: bigint): void {
    // Get the current time.
    const current_time = time;

    // Increment the timestamps...
    let { sampleTime: current_sample_time, hostTime: current_host_time } = this.GetCurrentZeroTimestamp();

    const host_ticks_per_buffer = this.ivars.m_zts_host_ticks_per_buffer;

    if (current_host_time !== 0n) {
      current_sample_time += BigInt(this.GetZeroTimestampPeriod());
      current_host_time += host_ticks_per_buffer;
    } else {
      // ...but not if it's the first one.
      current_sample_time = 0n;
      current_host_time = current_time;
    }

    // Update the device with the current timestamp.
    this.UpdateCurrentZeroTimestamp(current_sample_time, current_host_time);

    // Set the timer to go off in one buffer.
    this.ivars.m_zts_timer_event_source.WakeAtTime(kIOTimerClockMachAbsoluteTime, current_host_time + host_ticks_per_buffer, 0);
  }

  GenerateToneForInput(in_tone_freq: number, in_sample_time: bigint, in_frame_size: number): void {
    // Fill out the input buffer with a sine tone.
    if (this.ivars.m_input_memory_map) {
      // Get the pointer to the I/O buffer and use stream format information
      // to get the buffer length.
      const format = this.ivars.m_stream_format;
      const buffer = this.ivars.m_input_memory_map;
      const buffer_length = buffer.length;
      const num_samples = in_frame_size;
      const first = Number(in_sample_time);

      // Get the volume control dB value to apply gain to the tone.
      const input_volume_level = this.ivars.m_input_volume_control.GetScalarValue();

      for (let i = 0; i < num_samples; i++) {
        const float_value = input_volume_level * Math.sin((2.0 * Math.PI * in_tone_freq * this.ivars.m_tone_sample_index) / format.mSampleRate);
        const integer_value = SimpleAudioDevice.FloatToInt16(float_value);
        for (let channel_index = 0; channel_index < format.mChannelsPerFrame; channel_index++) {
          const buffer_index = (format.mChannelsPerFrame * (first + i) + channel_index) % buffer_length;
          buffer[buffer_index] = integer_value;
        }
        this.ivars.m_tone_sample_index += 1;
      }
    }
  }

  async ToggleDataSource(): Promise<number> {
    return this.GetDriver().GetWorkQueue().DispatchSync(() => {
      const [current_data_source_value] = this.ivars.m_input_selector_control.GetCurrentSelectedValues(1);

      let data_source_value_to_set = current_data_source_value!;
      if (current_data_source_value === this.ivars.m_data_sources[0]!.m_value) {
        data_source_value_to_set = this.ivars.m_data_sources[1]!.m_value;
      } else if (current_data_source_value === this.ivars.m_data_sources[1]!.m_value) {
        data_source_value_to_set = this.ivars.m_data_sources[2]!.m_value;
      } else {
        data_source_value_to_set = this.ivars.m_data_sources[0]!.m_value;
      }
      this.ivars.m_input_selector_control.SetCurrentSelectedValues([data_source_value_to_set], 1);
      return kIOReturnSuccess;
    });
  }
}
