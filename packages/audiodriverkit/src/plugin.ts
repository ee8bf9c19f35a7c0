// The audio family's host plugin (package.json "driverkit.hostPlugin"): `driverkit run` loads it. The
// host becomes the audio server's side of IOUserAudioDriver services: each published device is a sink
// and a source in the server, taken away when the service ends or its process dies.
import type { IOServiceHost } from '@driverkit/driverkit';
import type { AudioServerBackend } from './backend/AudioServerBackend';
import { AudioServerKernel, audioFifoDirectory, backendFromEnvironment } from './kernel/AudioServerKernel';

export interface AudioPluginOptions {
  /** Where the host publishes devices, instead of the backend DRIVERKIT_AUDIO_BACKEND names (the audio server by default). */
  backend?: AudioServerBackend;
  /** Where the streams' FIFOs go, instead of DRIVERKIT_AUDIO_DIR or /run/driverkit/audio. */
  fifoDirectory?: string;
}

/** Adds the audio family to `host`; resolves with what stops it. */
export async function register(host: IOServiceHost, options: AudioPluginOptions = {}): Promise<() => Promise<void>> {
  // Per host, not per module: two hosts in one process each have their own, and stopping one leaves the other's.
  const backend = options.backend ?? backendFromEnvironment();
  const fifoDirectory = options.fifoDirectory ?? audioFifoDirectory();
  host.registerKernelClass('IOUserAudioDriver', (context) => new AudioServerKernel(context, backend, fifoDirectory), {
    rootReason: "the audio server's FIFOs for each stream, which the driver opens, are root's",
  });
  // What a host killed outright left in the backend goes as the family loads.
  await backend.removeLeftovers(fifoDirectory, host.options.log);
  return async () => {
    // A backend this plugin made goes with it; one it was given stays its owner's.
    if (!options.backend) backend.close();
  };
}
