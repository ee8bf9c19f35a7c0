#!/usr/bin/env node
// The sample's client app: opens SimpleAudioDriver's user client and toggles the device's sample rate
// or its input's data source, then prints the device as the registry shows it.
// `play FILE.wav` plays a 16-bit WAV into the device's sink with the audio server's own pacat.
// Usage: simpleaudio-client [status|rate|source|play FILE] [--socket PATH]

import { IOConnectCallScalarMethod, IOMainPortCreate, IORegistryEntryCreateCFProperty, IOServiceClose, IOServiceGetMatchingService, IOServiceNameMatching, IOServiceOpen } from '@driverkit/driverkit/client';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fromOSObject, type OSObject } from '@driverkit/driverkit';
import { readWav, wavToInt16 } from './WavFile';
import { SimpleAudioDriverExternalMethod } from './SimpleAudioDriverKeys';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const words = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && all[i - 1] !== '--socket');
const action = words[0] ?? 'status';
if (!['status', 'rate', 'source', 'play'].includes(action) || (action === 'play' && !words[1])) {
  console.error(`usage: simpleaudio-client [status|rate|source|play FILE.wav] [--socket PATH] (not "${words.join(' ')}")`);
  process.exit(2);
}
if (action === 'play') {
  let samples: Int16Array;
  let rate: number;
  try {
    const wav = readWav(readFileSync(words[1]!));
    if (wav.channels !== 1) throw new Error(`${wav.channels} channels: SimpleAudioDevice is mono`);
    samples = wavToInt16(wav);
    rate = wav.sampleRate;
  } catch (e) {
    console.error(`${words[1]}: ${(e as Error).message}`);
    process.exit(1);
  }
  const pacat = spawn('pacat', ['--playback', '--device=dk.SimpleAudioDevice-UID', '--format=s16le', `--rate=${rate}`, '--channels=1', '--raw'], { stdio: ['pipe', 'inherit', 'inherit'] });
  pacat.stdin.end(Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength));
  const code = await new Promise<number | null>((r) => pacat.once('exit', r));
  console.log(`played ${samples.length} frames at ${rate} Hz into dk.SimpleAudioDevice-UID`);
  process.exit(code ?? 1);
}
const mainPort = IOMainPortCreate(arg('--socket'));
const service = await IOServiceGetMatchingService(mainPort, IOServiceNameMatching('SimpleAudioDriver'));
if (!service) {
  console.error('no SimpleAudioDriver service: is `driverkit run samples/SimpleAudio` running?');
  process.exit(1);
}
const connection = await IOServiceOpen(service, 0);
await IOConnectCallScalarMethod(connection, SimpleAudioDriverExternalMethod.Open, [], 0);
if (action === 'rate') await IOConnectCallScalarMethod(connection, SimpleAudioDriverExternalMethod.TestConfigChange, [], 0);
if (action === 'source') await IOConnectCallScalarMethod(connection, SimpleAudioDriverExternalMethod.ToggleDataSource, [], 0);
await IOConnectCallScalarMethod(connection, SimpleAudioDriverExternalMethod.Close, [], 0);
await IOServiceClose(connection);
type Described = { Name: string; SampleRate?: number; Controls?: Array<{ Name: string; DecibelValue?: number; Selected?: number[]; Items?: Record<string, string> }>; Statistics?: Record<string, number> };
const property = await IORegistryEntryCreateCFProperty(service, 'IOUserAudioObjects');
const objects = (property ? fromOSObject(property as OSObject) : []) as unknown as Described[];
for (const o of objects ?? []) {
  if (o.SampleRate === undefined) continue;
  console.log(`${o.Name}: ${o.SampleRate} Hz`);
  for (const c of o.Controls ?? []) {
    if (c.DecibelValue !== undefined) console.log(`  ${c.Name}: ${c.DecibelValue} dB`);
    if (c.Selected) console.log(`  ${c.Name}: ${c.Selected.map((v) => c.Items?.[String(v)] ?? v).join(', ')}`);
  }
  if (o.Statistics) console.log(`  underruns ${o.Statistics.Underruns}, overruns ${o.Statistics.Overruns}, frames out ${o.Statistics.FramesOut}, in ${o.Statistics.FramesIn}`);
}
mainPort.close?.();
process.exit(0);
