import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IOBufferMemoryDescriptor, IOServiceHost, OSDictionary, kIOMemoryDirectionInOut, kIOReturnBadArgument, kIOReturnNotPermitted, kIOReturnUnsupported, toOSDictionary, type IOKernelServiceContext } from '@driverkit/driverkit';
import {
  IOUserAudioClassID,
  IOUserAudioDevice,
  IOUserAudioDriver,
  IOUserAudioFormatFlags,
  IOUserAudioFormatID,
  IOUserAudioLevelControl,
  IOUserAudioObjectPropertyElementMain,
  IOUserAudioObjectPropertyScope,
  IOUserAudioSelectorControl,
  IOUserAudioSliderControl,
  IOUserAudioStereoPanControl,
  IOUserAudioStream,
  IOUserAudioStreamDirection,
  decodeStreamBasicDescription,
  encodeStreamBasicDescription,
  register,
  type AudioServerBackend,
  type IOUserAudioStreamBasicDescription,
} from '../src/index';
import { PulseAudioBackend } from '../src/backend/pulse/PulseAudioBackend';
import { PulseAudioServer } from '../src/backend/pulse/PulseAudioServer';
import { AudioServerKernel } from '../src/kernel/AudioServerKernel';

const lpcm16 = (rate: number, channels = 1): IOUserAudioStreamBasicDescription => ({
  mSampleRate: rate,
  mFormatID: IOUserAudioFormatID.LinearPCM,
  mFormatFlags: IOUserAudioFormatFlags.FormatFlagIsSignedInteger,
  mBytesPerPacket: 2 * channels,
  mFramesPerPacket: 1,
  mBytesPerFrame: 2 * channels,
  mChannelsPerFrame: channels,
  mBitsPerChannel: 16,
});

test('a stream description is CoreAudio\'s 40-byte layout, both ways', () => {
  const b = encodeStreamBasicDescription(lpcm16(44100));
  expect(b.length).toBe(40);
  const v = new DataView(b.buffer);
  expect(v.getFloat64(0, true)).toBe(44100);
  expect(v.getUint32(8, true)).toBe(0x6c70636d); // 'lpcm'
  expect([12, 16, 20, 24, 28, 32].map((o) => v.getUint32(o, true))).toEqual([4, 2, 1, 2, 1, 16]);
  expect(decodeStreamBasicDescription(b)).toEqual({ ...lpcm16(44100), mReserved: 0 });
  expect(() => decodeStreamBasicDescription(b.subarray(0, 39))).toThrow(/40 bytes, not 39/);
});

test('streams take only formats the audio server can carry, and change rate among their own formats', () => {
  const driver = new IOUserAudioDriver();
  const stream = IOUserAudioStream.Create(driver, IOUserAudioStreamDirection.Input, IOBufferMemoryDescriptor.Create(kIOMemoryDirectionInOut, 4096));
  expect(() => stream.SetAvailableStreamFormats([{ ...lpcm16(48000), mBitsPerChannel: 24, mBytesPerFrame: 3, mBytesPerPacket: 3 }])).toThrow(expect.objectContaining({ code: kIOReturnUnsupported }));
  expect(() => stream.SetAvailableStreamFormats([{ ...lpcm16(48000), mBytesPerFrame: 4 }])).toThrow(/do not describe packed interleaved frames/);
  expect(() => stream.SetAvailableStreamFormats([{ ...lpcm16(48000), mFormatID: 0x61616320 }])).toThrow(/only linear PCM/);
  stream.SetAvailableStreamFormats([lpcm16(44100), lpcm16(48000)]);
  expect(() => stream.SetCurrentStreamFormat(lpcm16(96000))).toThrow(/not one of its available formats/);
  stream.SetCurrentStreamFormat(lpcm16(44100));
  stream.DeviceSampleRateChanged(48000);
  expect(stream.GetCurrentStreamFormat().mSampleRate).toBe(48000);
  expect(() => stream.DeviceSampleRateChanged(32000)).toThrow(/no format at 32000 Hz/);
  expect(() => IOUserAudioStream.Create(driver, 7 as never, IOBufferMemoryDescriptor.Create(kIOMemoryDirectionInOut, 16))).toThrow(/neither Output \(0\) nor Input \(1\)/);
});

test('a level control is in dB within its range; its scalar is the linear gain', () => {
  const driver = new IOUserAudioDriver();
  const c = IOUserAudioLevelControl.Create(driver, true, -6, { minDB: -96, maxDB: 0 }, IOUserAudioObjectPropertyElementMain, IOUserAudioObjectPropertyScope.Input, IOUserAudioClassID.VolumeControl);
  expect(c.GetScalarValue()).toBeCloseTo(0.501187, 6);
  c.SetScalarValue(0.1);
  expect(c.GetDecibelValue()).toBeCloseTo(-20, 9);
  c.SetScalarValue(4);
  expect(c.GetDecibelValue()).toBe(0); // held to the range
  expect(() => c.SetDecibelValue(3)).toThrow(expect.objectContaining({ code: kIOReturnBadArgument, message: expect.stringMatching(/3 dB is outside -96…0 dB/) }));
  const s = IOUserAudioSelectorControl.Create(driver, true, 0, IOUserAudioObjectPropertyScope.Input, IOUserAudioClassID.DataSourceControl);
  s.AddControlValueDescriptions([{ m_value: 440, m_name: 'Sine 440' }]);
  expect(() => s.SetCurrentSelectedValues([660])).toThrow(/660 is none of its values \(440\)/);
  expect(c.GetObjectID()).not.toBe(s.GetObjectID());
  const slider = IOUserAudioSliderControl.Create(driver, true, 3, [0, 10], 0, IOUserAudioObjectPropertyScope.Output, IOUserAudioClassID.SliderControl);
  expect(() => slider.SetValue(11)).toThrow(/11 is outside 0…10/);
  const pan = IOUserAudioStereoPanControl.Create(driver, true, 0.5, [1, 2], 0, IOUserAudioObjectPropertyScope.Output, IOUserAudioClassID.StereoPanControl);
  expect(pan.GetChannelGains().map((g) => g.toFixed(6))).toEqual([Math.SQRT1_2.toFixed(6), Math.SQRT1_2.toFixed(6)]);
  pan.SetValue(0);
  expect(pan.GetChannelGains()).toEqual([1, 0]);
  expect(() => pan.SetValue(1.5)).toThrow(/1\.5 is outside 0…1/);
});

test('a device keeps its sample rates, one stream per direction, and its zero timestamps', () => {
  const driver = new IOUserAudioDriver();
  expect(() => IOUserAudioDevice.Create(driver, false, '', 'm', 'x', 512)).toThrow(/needs a UID and a positive zero-timestamp period/);
  const d = IOUserAudioDevice.Create(driver, false, 'uid-1', 'model', 'maker', 512);
  d.SetAvailableSampleRates([44100, 48000]);
  expect(() => d.SetSampleRate(96000)).toThrow(/96000 Hz is not one of its sample rates \(44100, 48000\)/);
  d.SetSampleRate(48000);
  const ring = () => IOBufferMemoryDescriptor.Create(kIOMemoryDirectionInOut, 1024);
  d.AddStream(IOUserAudioStream.Create(driver, IOUserAudioStreamDirection.Output, ring()));
  expect(() => d.AddStream(IOUserAudioStream.Create(driver, IOUserAudioStreamDirection.Output, ring()))).toThrow(/already has an output stream/);
  d.UpdateCurrentZeroTimestamp(512, 1_000_000);
  expect(d.GetCurrentZeroTimestamp()).toEqual({ sampleTime: 512n, hostTime: 1_000_000n });
});

describe('the kernel half (the host\'s side of the audio server)', () => {
  const context = (entitled: boolean): IOKernelServiceContext => ({
    ioClass: 'IOUserAudioDriver',
    properties: OSDictionary.withCapacity(0),
    entitlements: toOSDictionary(entitled ? { 'com.apple.developer.driverkit.family.audio': true } : {}),
    caller: { key: 'test', onGone: () => {} },
    log: () => {},
  });
  const stream = { id: 3, output: true, format: 's16le', rate: 48000, channels: 1 };

  test('refuses a driver without the audio entitlement, and malformed requests by name', async () => {
    // Refused before the backend is asked: one that fails every call proves it.
    const backend: AudioServerBackend = { name: 'none', publish: () => Promise.reject(new Error('the backend was reached')), removeLeftovers: async () => {}, close: () => {} };
    await expect(new AudioServerKernel(context(false), backend).handleRemoteCall('publishDevice', toOSDictionary({ uid: 'u', name: 'n', streams: [stream] }))).rejects.toMatchObject({ code: kIOReturnNotPermitted, message: expect.stringMatching(/lacks the com\.apple\.developer\.driverkit\.family\.audio entitlement/) });
    const k = new AudioServerKernel(context(true), backend);
    await expect(k.handleRemoteCall('publishDevice', toOSDictionary({ uid: 'u', name: 'n', streams: [] }))).rejects.toThrow(/needs one or two streams/);
    await expect(k.handleRemoteCall('publishDevice', toOSDictionary({ uid: 'u', name: 'n', streams: [{ ...stream, format: 'u8' }] }))).rejects.toThrow(/format u8 is none of s16le, s32le, float32le/);
    await expect(k.handleRemoteCall('publishDevice', toOSDictionary({ uid: 'u', name: 'n', streams: [{ ...stream, rate: 1 }] }))).rejects.toThrow(/needs rate in 8000…384000/);
    await expect(k.handleRemoteCall('publishDevice', toOSDictionary({ name: 'n', streams: [stream] }))).rejects.toThrow(/needs a string uid/);
    await expect(k.handleRemoteCall('reboot', OSDictionary.withCapacity(0))).rejects.toThrow(/has no call reboot/);
    await k.serviceEnded();
  });
});

test('a backend given to register is the host\'s: leftovers are asked of it as the family loads, and it stays its owner\'s when the family stops', async () => {
  const asked: string[] = [];
  let closed = 0;
  const backend: AudioServerBackend = { name: 'given', publish: () => Promise.reject(new Error('unused')), removeLeftovers: async (dir) => void asked.push(dir), close: () => void closed++ };
  const host = new IOServiceHost({ mode: 'in-process', log: () => {} });
  const stop = await register(host, { backend });
  expect(asked).toEqual([process.env.DRIVERKIT_AUDIO_DIR ?? '/run/driverkit/audio']);
  await stop();
  await host.stop();
  expect(closed).toBe(0);
});

test('a device whose name has spaces and quotes is published under that description, and removed again', async () => {
  const backend = new PulseAudioBackend();
  const dir = mkdtempSync(join(tmpdir(), 'dk-audio-name-'));
  const device = await backend.publish('dk.NameTest', `A "quoted" device's name`, [{ id: 1, output: true, format: 's16le', rate: 48000, channels: 2, fifo: join(dir, `dk.NameTest-${process.pid}-1.sink`) }]);
  try {
    expect(execFileSync('pactl', ['list', 'sinks'], { encoding: 'utf8' })).toMatch(/Name: dk\.NameTest\n\s*Description: A quoted devices name/);
    expect(await device.running()).toEqual(new Map([[1, false]]));
  } finally {
    await device.remove();
  }
  expect(execFileSync('pactl', ['list', 'short', 'sinks'], { encoding: 'utf8' })).not.toMatch(/dk\.NameTest/);
});

test('a host killed outright leaves modules behind; the next host to load the family unloads them', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dk-audio-left-'));
  const saved = process.env.DRIVERKIT_AUDIO_DIR;
  process.env.DRIVERKIT_AUDIO_DIR = dir;
  try {
    // A pid that cannot be running: above the kernel's pid_max.
    const fifo = join(dir, 'dk.Left-99999999-7.sink');
    const index = execFileSync('pactl', ['load-module', 'module-pipe-sink', 'sink_name=dk.Left', `file=${fifo}`, 'format=s16le', 'rate=48000', 'channels=1'], { encoding: 'utf8' }).trim();
    const lines: string[] = [];
    const host = new IOServiceHost({ mode: 'in-process', log: (l) => lines.push(l) });
    const stop = await register(host);
    await stop();
    await host.stop();
    expect(lines.filter((l) => l.includes('module-pipe-sink'))).toEqual([expect.stringMatching(/unloading module-pipe-sink #\d+, left by host 99999999, which is gone/)]);
    expect(execFileSync('pactl', ['list', 'short', 'modules'], { encoding: 'utf8' }).split('\n').some((l) => l.startsWith(`${index}\t`))).toBe(false);
    expect(existsSync(fifo)).toBe(false);
  } finally {
    if (saved === undefined) delete process.env.DRIVERKIT_AUDIO_DIR;
    else process.env.DRIVERKIT_AUDIO_DIR = saved;
  }
});

test('the server\'s stream states follow its events: a sink that starts playing is RUNNING at the next ask, and asks in between share one read', async () => {
  const server = new PulseAudioServer();
  const until = async (state: string) => {
    const end = Date.now() + 5000;
    while ((await server.states()).get('dk_null_baseline') !== state) {
      if (Date.now() > end) throw new Error(`dk_null_baseline never became ${state}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  try {
    expect(server.states()).toBe(server.states());
    await until('IDLE');
    const player = spawn('pacat', ['--device=dk_null_baseline', '--raw', '--format=s16le', '--rate=48000', '--channels=1'], { stdio: ['pipe', 'ignore', 'ignore'] });
    const feeding = setInterval(() => player.stdin!.write(Buffer.alloc(4800)), 50);
    try {
      await until('RUNNING');
    } finally {
      clearInterval(feeding);
      player.kill();
    }
    await until('IDLE');
  } finally {
    server.close();
  }
});
