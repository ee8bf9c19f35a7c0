/**
 * `@driverkit/audiodriverkit/testing`: what an audio driver's tests need — a host publishing to an
 * audio server of the test's own ({@link AudioTestBench}), whose devices the test plays into and
 * records from.
 * @packageDocumentation
 */
export { AudioTestBench } from './testing/AudioTestBench';
export { VirtualAudioBackend } from './backend/virtual/VirtualAudioBackend';
export { VirtualAudioDevice } from './backend/virtual/VirtualAudioDevice';
