import { defineConfig } from 'tsup';
import { preset } from '../../tsup.preset';

export default defineConfig({
  ...preset,
  entry: ['src/SimpleAudioDriver.ts', 'src/SimpleAudioClient.ts'],
  format: ['esm'],
});
