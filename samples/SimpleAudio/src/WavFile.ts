// A strict WAV reader for the sample's client app: RIFF/WAVE with a PCM, IEEE-float or extensible
// `fmt ` chunk and a `data` chunk. Every length is checked against the file before it is used, so a
// malformed file is refused with what is wrong and where, never read past its end.

import { IOReturnError, kIOReturnBadArgument, kIOReturnUnsupported } from '@driverkit/driverkit';

export interface WavFile {
  format: 'pcm' | 'float';
  channels: number;
  sampleRate: number;
  /** Bits of each sample's container, and how many of them carry the sample. */
  bitsPerSample: number;
  validBits: number;
  /** The sample data, interleaved, as stored. */
  data: Uint8Array;
  frames: number;
}

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_IEEE_FLOAT = 3;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

const fail = (what: string, at: number) => new IOReturnError(kIOReturnBadArgument, `not a valid WAV file: ${what} (at byte ${at})`, { offset: at });

export function readWav(bytes: Uint8Array): WavFile {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));
  if (bytes.length < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') throw fail('no RIFF/WAVE header', 0);
  const riffEnd = Math.min(bytes.length, 8 + v.getUint32(4, true));
  let fmt: Omit<WavFile, 'data' | 'frames'> | null = null;
  let data: Uint8Array | null = null;
  for (let at = 12; at + 8 <= riffEnd; ) {
    const id = tag(at);
    const size = v.getUint32(at + 4, true);
    const body = at + 8;
    if (size > riffEnd - body) throw fail(`chunk "${id}" claims ${size} bytes, ${riffEnd - body} remain`, at);
    if (id === 'fmt ') {
      if (fmt) throw fail('a second fmt chunk', at);
      if (size < 16) throw fail(`fmt chunk of ${size} bytes (16 at least)`, at);
      let formatTag = v.getUint16(body, true);
      const channels = v.getUint16(body + 2, true);
      const sampleRate = v.getUint32(body + 4, true);
      const blockAlign = v.getUint16(body + 12, true);
      const declaredBits = v.getUint16(body + 14, true);
      // 24-bit samples may sit in 4-byte containers with a plain PCM header: the block align says so.
      const container = channels > 0 && blockAlign % channels === 0 ? (blockAlign / channels) * 8 : 0;
      const bitsPerSample = container > declaredBits ? container : declaredBits;
      let validBits = declaredBits;
      if (formatTag === WAVE_FORMAT_EXTENSIBLE) {
        if (size < 40) throw fail(`an extensible fmt chunk of ${size} bytes (40 expected)`, at);
        validBits = v.getUint16(body + 18, true) || declaredBits;
        formatTag = v.getUint16(body + 24, true);
      }
      if (formatTag !== WAVE_FORMAT_PCM && formatTag !== WAVE_FORMAT_IEEE_FLOAT) throw new IOReturnError(kIOReturnUnsupported, `WAV format 0x${formatTag.toString(16)} is neither PCM nor IEEE float`);
      if (channels < 1 || channels > 32) throw fail(`${channels} channels`, body + 2);
      if (sampleRate < 1 || sampleRate > 768000) throw fail(`sample rate ${sampleRate}`, body + 4);
      if (![8, 16, 24, 32, 64].includes(bitsPerSample) || validBits > bitsPerSample) throw fail(`${bitsPerSample} bits per sample (${validBits} valid)`, body + 14);
      if (blockAlign !== (bitsPerSample / 8) * channels) throw fail(`block align ${blockAlign}, not ${(bitsPerSample / 8) * channels} for ${channels} × ${bitsPerSample} bits`, body + 12);
      fmt = { format: formatTag === WAVE_FORMAT_IEEE_FLOAT ? 'float' : 'pcm', channels, sampleRate, bitsPerSample, validBits };
    } else if (id === 'data') {
      if (!fmt) throw fail('data before the fmt chunk', at);
      if (data) throw fail('a second data chunk', at);
      data = bytes.subarray(body, body + size);
    }
    at = body + size + (size & 1);
  }
  if (!fmt) throw fail('no fmt chunk', 12);
  if (!data) throw fail('no data chunk', 12);
  const frameBytes = (fmt.bitsPerSample / 8) * fmt.channels;
  const frames = Math.floor(data.length / frameBytes);
  return { ...fmt, data: data.subarray(0, frames * frameBytes), frames };
}

/** The samples as 16-bit integers (what SimpleAudioDevice's streams carry), for 16-bit PCM files. */
export function wavToInt16(w: WavFile): Int16Array {
  if (w.format !== 'pcm' || w.bitsPerSample !== 16) throw new IOReturnError(kIOReturnUnsupported, `a ${w.bitsPerSample}-bit ${w.format} WAV: SimpleAudioDevice plays 16-bit PCM`);
  const out = new Int16Array(w.data.length / 2);
  const v = new DataView(w.data.buffer, w.data.byteOffset, w.data.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = v.getInt16(i * 2, true);
  return out;
}
