// Signal analysis for the tests: the dominant frequency (Hann-windowed FFT, with the peak located
// between bins by quadratic interpolation of the log magnitudes) and the level of a sine in dBFS.

function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j]!, re[i]!];
      [im[i], im[j]] = [im[j]!, im[i]!];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const angle = (-2 * Math.PI) / len;
    for (let i = 0; i < n; i += len) {
      for (let k = 0; k < len / 2; k++) {
        const wr = Math.cos(angle * k);
        const wi = Math.sin(angle * k);
        const a = i + k;
        const b = a + len / 2;
        const xr = re[b]! * wr - im[b]! * wi;
        const xi = re[b]! * wi + im[b]! * wr;
        re[b] = re[a]! - xr;
        im[b] = im[a]! - xi;
        re[a] = re[a]! + xr;
        im[a] = im[a]! + xi;
      }
    }
  }
}

/** The strongest frequency in the last 2^k samples of `x` (k as large as fits, at most 2^16). */
export function dominantFrequency(x: Int16Array, sampleRate: number): number {
  let n = 1;
  while (n * 2 <= Math.min(x.length, 65536)) n *= 2;
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  const start = x.length - n;
  for (let i = 0; i < n; i++) re[i] = x[start + i]! * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1)));
  fft(re, im);
  let peak = 1;
  const mag = (k: number) => Math.log(Math.hypot(re[k]!, im[k]!) + 1e-12);
  for (let k = 2; k < n / 2 - 1; k++) if (mag(k) > mag(peak)) peak = k;
  const [a, b, c] = [mag(peak - 1), mag(peak), mag(peak + 1)];
  const offset = (0.5 * (a - c)) / (a - 2 * b + c);
  return ((peak + offset) * sampleRate) / n;
}

/** A sine's level in dB relative to a full-scale sine: 20·log10(rms·√2 / 32767). */
export function sineLevelDb(x: Int16Array): number {
  let sum = 0;
  for (const v of x) sum += v * v;
  return 20 * Math.log10((Math.sqrt(sum / x.length) * Math.SQRT2) / 32767);
}
