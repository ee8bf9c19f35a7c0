import { IOReturnError, kIOReturnBadArgument, kIOReturnUnsupported } from '@driverkit/driverkit';
import { IOUserAudioFormatFlags, IOUserAudioFormatID } from './IOUserAudioTypes';

/** Mirrors `IOUserAudioStreamBasicDescription`: CoreAudio's AudioStreamBasicDescription. */
export interface IOUserAudioStreamBasicDescription {
  mSampleRate: number;
  mFormatID: number;
  mFormatFlags: number;
  mBytesPerPacket: number;
  mFramesPerPacket: number;
  mBytesPerFrame: number;
  mChannelsPerFrame: number;
  mBitsPerChannel: number;
  mReserved?: number;
}

/** The struct's size in CoreAudio's layout: a double, then eight u32. */
export const kIOUserAudioStreamBasicDescriptionSize = 40;

/** The 40 bytes of CoreAudio's layout (little-endian), as a driver and the system share it. */
export function encodeStreamBasicDescription(d: IOUserAudioStreamBasicDescription): Uint8Array {
  const b = new Uint8Array(kIOUserAudioStreamBasicDescriptionSize);
  const v = new DataView(b.buffer);
  v.setFloat64(0, d.mSampleRate, true);
  [d.mFormatID, d.mFormatFlags, d.mBytesPerPacket, d.mFramesPerPacket, d.mBytesPerFrame, d.mChannelsPerFrame, d.mBitsPerChannel, d.mReserved ?? 0].forEach((x, i) => v.setUint32(8 + i * 4, x >>> 0, true));
  return b;
}

export function decodeStreamBasicDescription(b: Uint8Array): IOUserAudioStreamBasicDescription {
  if (b.length < kIOUserAudioStreamBasicDescriptionSize) throw new IOReturnError(kIOReturnBadArgument, `a stream description is ${kIOUserAudioStreamBasicDescriptionSize} bytes, not ${b.length}`);
  const v = new DataView(b.buffer, b.byteOffset, kIOUserAudioStreamBasicDescriptionSize);
  const u = (i: number) => v.getUint32(8 + i * 4, true);
  return { mSampleRate: v.getFloat64(0, true), mFormatID: u(0), mFormatFlags: u(1), mBytesPerPacket: u(2), mFramesPerPacket: u(3), mBytesPerFrame: u(4), mChannelsPerFrame: u(5), mBitsPerChannel: u(6), mReserved: u(7) };
}

/**
 * The audio server's name for a format (PulseAudio's sample format), refusing what neither side can
 * carry: interleaved linear PCM, little-endian, 16 or 32-bit integers or 32-bit floats, one packet
 * per frame.
 */
export function serverSampleFormat(d: IOUserAudioStreamBasicDescription): string {
  const what = `${d.mBitsPerChannel}-bit ${d.mFormatID === IOUserAudioFormatID.LinearPCM ? 'linear PCM' : `format 0x${d.mFormatID.toString(16)}`}`;
  if (d.mFormatID !== IOUserAudioFormatID.LinearPCM) throw new IOReturnError(kIOReturnUnsupported, `${what}: only linear PCM reaches the audio server`);
  if (d.mFormatFlags & (IOUserAudioFormatFlags.FormatFlagIsBigEndian | IOUserAudioFormatFlags.FormatFlagIsNonInterleaved)) throw new IOReturnError(kIOReturnUnsupported, `${what}: big-endian or non-interleaved data is not supported`);
  if (!(d.mChannelsPerFrame >= 1 && d.mChannelsPerFrame <= 32) || d.mFramesPerPacket !== 1 || d.mBytesPerFrame !== d.mBytesPerPacket || d.mBytesPerFrame !== (d.mBitsPerChannel / 8) * d.mChannelsPerFrame) {
    throw new IOReturnError(kIOReturnBadArgument, `${what}: ${d.mChannelsPerFrame} channels, ${d.mBytesPerFrame} bytes per frame and ${d.mFramesPerPacket} frames per packet do not describe packed interleaved frames`);
  }
  if (!(d.mSampleRate >= 8000 && d.mSampleRate <= 384000)) throw new IOReturnError(kIOReturnBadArgument, `${what}: sample rate ${d.mSampleRate} is outside 8000…384000`);
  if (d.mFormatFlags & IOUserAudioFormatFlags.FormatFlagIsFloat) {
    if (d.mBitsPerChannel === 32) return 'float32le';
  } else if (d.mFormatFlags & IOUserAudioFormatFlags.FormatFlagIsSignedInteger) {
    if (d.mBitsPerChannel === 16) return 's16le';
    if (d.mBitsPerChannel === 32) return 's32le';
  }
  throw new IOReturnError(kIOReturnUnsupported, `${what} with flags 0x${d.mFormatFlags.toString(16)}: the audio server takes signed 16/32-bit integers or 32-bit floats`);
}
