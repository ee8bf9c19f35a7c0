// Inside the guest: ALSA's loopback sound card (snd-aloop), where audio played on one PCM device can be
// captured on its pair; the audio family's ALSA path is tested against it.
import { readFileSync } from 'node:fs';
import { loadModules, waitForPath } from './modules';

/** Loads snd-aloop and resolves with its card number once /proc/asound lists it. */
export async function loadSoundLoopback(): Promise<number> {
  loadModules('snd_aloop');
  await waitForPath('/proc/asound/Loopback');
  const cards = readFileSync('/proc/asound/cards', 'utf8');
  const m = /^\s*(\d+) \[Loopback\s*\]/m.exec(cards);
  if (!m) throw new Error(`snd-aloop loaded but /proc/asound/cards does not list it:\n${cards}`);
  return Number(m[1]);
}
