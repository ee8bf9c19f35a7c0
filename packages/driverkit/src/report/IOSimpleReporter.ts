import type { OSValue } from '../os/OSValue';
import type { IOService } from '../service/IOService';
import { IOReporter } from './IOReporter';
import type { IOReportUnit } from './IOReportTypes';

/** Mirrors `IOSimpleReporter`: one signed 64-bit value per channel (a counter, a gauge). */
export class IOSimpleReporter extends IOReporter {
  readonly kind = 'simple';
  readonly #values: bigint[] = [];

  /** Mirrors `IOSimpleReporter::with(reportingService, categories, unit)`. */
  static with(reportingService: IOService, categories: number, unit: IOReportUnit): IOSimpleReporter {
    return new IOSimpleReporter(reportingService, categories, unit);
  }

  protected channelAdded(): void {
    this.#values.push(0n);
  }

  /** Mirrors `setValue(channel_id, value)`. */
  setValue(channelID: bigint | number, value: bigint | number): void {
    this.#values[this.indexOf(channelID)] = BigInt.asIntN(64, BigInt(value));
    this.changed();
  }

  /** Mirrors `incrementValue(channel_id, increment)`. */
  incrementValue(channelID: bigint | number, increment: bigint | number): void {
    const i = this.indexOf(channelID);
    this.#values[i] = BigInt.asIntN(64, this.#values[i]! + BigInt(increment));
    this.changed();
  }

  /** Mirrors `getValue(channel_id)`. */
  getValue(channelID: bigint | number): bigint {
    return this.#values[this.indexOf(channelID)]!;
  }

  valuesForRegistry(): Record<string, OSValue> {
    return { ...this.legendForRegistry(), IOReportValues: this.#values.map((v) => ({ IOReportValue: v })) };
  }
}
