// The audio family's host plugin (package.json "driverkit.hostPlugin"): `driverkit run` loads it. The
// host becomes the audio server's side of IOUserAudioDriver services: each published device is a sink
// and a source in the server, taken away when the service ends or its process dies.
import type { IOServiceHost } from '@driverkit/driverkit';
import { AudioServerKernel } from './kernel/AudioServerKernel';

export async function register(host: IOServiceHost): Promise<() => Promise<void>> {
  host.registerKernelClass('IOUserAudioDriver', (context) => new AudioServerKernel(context), {
    rootReason: "the audio server's FIFOs for each stream, which the driver opens, are root's",
  });
  await AudioServerKernel.removeLeftovers(host.options.log);
  return async () => {
    AudioServerKernel.backend?.close();
  };
}
