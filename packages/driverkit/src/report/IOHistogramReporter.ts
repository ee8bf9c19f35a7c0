import { IOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnBadArgument } from '../IOReturn/IOReturn';
import type { OSValue } from '../os/OSValue';
import type { IOService } from '../service/IOService';
import { IOReporter } from './IOReporter';
import type { IOReportUnit } from './IOReportTypes';

/**
 * Mirrors `IOHistogramSegmentConfig`: `segment_bucket_count` buckets, each `base_bucket_width` wide
 * (scale_flag 0), or doubling in width from it (scale_flag 1), after the segments before it.
 */
export interface IOHistogramSegmentConfig {
  base_bucket_width: number;
  scale_flag: 0 | 1;
  segment_idx_low?: number;
  segment_bucket_count: number;
}

interface Bucket {
  low: number;
  high: number;
  hits: bigint;
  min: number;
  max: number;
  sum: number;
}

/**
 * Mirrors `IOHistogramReporter`: one channel whose values are tallied into buckets laid out by
 * segments; each bucket keeps hits, min, max and sum. Values past the last bucket land in it.
 */
export class IOHistogramReporter extends IOReporter {
  readonly kind = 'histogram';
  readonly #buckets: Bucket[] = [];

  private constructor(service: IOService, categories: number, unit: IOReportUnit, segments: IOHistogramSegmentConfig[]) {
    super(service, categories, unit);
    let low = 0;
    for (const s of segments) {
      if (!(s.base_bucket_width > 0) || !(s.segment_bucket_count > 0)) throw new IOReturnError(kIOReturnBadArgument, 'IOHistogramReporter: each segment needs a positive bucket width and count');
      for (let i = 0; i < s.segment_bucket_count; i++) {
        const width = s.scale_flag === 1 ? s.base_bucket_width * 2 ** i : s.base_bucket_width;
        this.#buckets.push({ low, high: low + width, hits: 0n, min: Infinity, max: -Infinity, sum: 0 });
        low += width;
      }
    }
  }

  /** Mirrors `IOHistogramReporter::with(reportingService, categories, channelID, channelName, unit, nSegments, config)`. */
  static with(reportingService: IOService, categories: number, channelID: bigint | number, channelName: string, unit: IOReportUnit, segments: IOHistogramSegmentConfig[]): IOHistogramReporter {
    if (segments.length === 0) throw new IOReturnError(kIOReturnBadArgument, 'IOHistogramReporter: at least one segment');
    const r = new IOHistogramReporter(reportingService, categories, unit, segments);
    r.addChannel(channelID, channelName);
    return r;
  }

  protected channelAdded(): void {
    if (this.channels.length > 1) throw new IOReturnError(kIOReturnBadArgument, 'IOHistogramReporter: a histogram has one channel');
  }

  /** Mirrors `tallyValue(value)`: returns the bucket index it went to. */
  tallyValue(value: number): number {
    let i = this.#buckets.findIndex((b) => value < b.high);
    if (i < 0) i = this.#buckets.length - 1;
    const b = this.#buckets[i]!;
    b.hits += 1n;
    b.min = Math.min(b.min, value);
    b.max = Math.max(b.max, value);
    b.sum += value;
    this.changed();
    return i;
  }

  valuesForRegistry(): Record<string, OSValue> {
    return { ...this.legendForRegistry(), IOReportValues: [{ IOReportBuckets: this.#buckets.map((b) => ({ IOReportBucketLow: b.low, IOReportBucketHigh: b.high, IOReportHits: b.hits, IOReportSum: b.sum, ...(b.hits ? { IOReportMin: b.min, IOReportMax: b.max } : {}) })) }] };
  }
}
