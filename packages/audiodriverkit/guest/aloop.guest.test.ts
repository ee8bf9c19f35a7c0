// Guest tier: the ALSA loopback card the audio family's ALSA path will be tested against is there,
// with PCM playback and capture devices on both sides of the loop.
import { existsSync } from 'node:fs';
import { loadSoundLoopback } from '../../../scripts/guest/helpers/sound';

test('snd-aloop gives a Loopback card with playback and capture PCMs', async () => {
  const card = await loadSoundLoopback();
  for (const pcm of ['D0p', 'D0c', 'D1p', 'D1c']) expect(existsSync(`/dev/snd/pcmC${card}${pcm}`)).toBe(true);
});
