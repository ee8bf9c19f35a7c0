/**
 * `@driverkit/audiodriverkit`: Apple's AudioDriverKit for TypeScript on Linux. An `IOUserAudioDriver`
 * publishes `IOUserAudioDevice`s whose streams are a sink and a source in the system's audio server
 * (PulseAudio, or PipeWire's pulse server), paced by the device's zero-timestamp clock.
 * @packageDocumentation
 */
export * from './IOUserAudioTypes';
export { encodeStreamBasicDescription, decodeStreamBasicDescription, kIOUserAudioStreamBasicDescriptionSize, type IOUserAudioStreamBasicDescription } from './IOUserAudioStreamBasicDescription';
export { IOUserAudioObject } from './IOUserAudioObject';
export { IOUserAudioDriver } from './IOUserAudioDriver';
export { IOUserAudioClockDevice, type IOUserAudioZeroTimestamp } from './IOUserAudioClockDevice';
export { IOUserAudioDevice } from './IOUserAudioDevice';
export { IOUserAudioStream } from './IOUserAudioStream';
export { IOUserAudioControl } from './IOUserAudioControl';
export { IOUserAudioLevelControl, type IOUserAudioLevelControlRange } from './IOUserAudioLevelControl';
export { IOUserAudioBooleanControl } from './IOUserAudioBooleanControl';
export { IOUserAudioSliderControl } from './IOUserAudioSliderControl';
export { IOUserAudioStereoPanControl } from './IOUserAudioStereoPanControl';
export { IOUserAudioSelectorControl, type IOUserAudioSelectorValueDescription } from './IOUserAudioSelectorControl';
export { IOUserAudioCustomProperty, type IOUserAudioObjectPropertyAddress } from './IOUserAudioCustomProperty';
export type { AudioDeviceStatistics } from './engine/AudioDeviceEngine';
export type { AudioServerBackend, AudioServerDevice, AudioStreamSpec } from './backend/AudioServerBackend';
export { PulseAudioBackend } from './backend/pulse/PulseAudioBackend';
export { AlsaLoopbackBackend } from './backend/alsa/AlsaLoopbackBackend';
export { register, type AudioPluginOptions } from './plugin';
