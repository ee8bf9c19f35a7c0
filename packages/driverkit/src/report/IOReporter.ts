import { IOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnBadArgument, kIOReturnNotFound } from '../IOReturn/IOReturn';
import { OSObject } from '../os/OSObject';
import type { OSValue } from '../os/OSValue';
import type { IOService } from '../service/IOService';
import { kIOReportValuesKey, type IOReportUnit } from './IOReportTypes';

/** One channel of a reporter, as the legend and `driverkit report` show it. */
export interface IOReportChannel {
  id: bigint;
  name: string;
}

// How often a service's reporters write their values into its registry entry at most: a counter
// bumped on every packet must not become a property update (an IPC message) per packet.
const PUBLISH_INTERVAL_MS = 100;

/** Services with reporters, and the reporters each has (in the order they were added to a legend). */
const reportersOf = new WeakMap<IOService, Set<IOReporter>>();
const pending = new Set<IOService>();
let timer: NodeJS.Timeout | null = null;

function publishSoon(service: IOService): void {
  pending.add(service);
  if (timer) return;
  timer = setTimeout(() => {
    timer = null;
    for (const s of [...pending]) {
      pending.delete(s);
      publishValues(s);
    }
  }, PUBLISH_INTERVAL_MS);
  timer.unref();
}

/** The reporters a service published, in the order they joined its legend. */
export function reportersFor(service: IOService): IOReporter[] {
  return [...(reportersOf.get(service) ?? [])];
}

/** Writes every reporter's current values into the service's IOReportValues property. */
export function publishValues(service: IOService): void {
  const reporters = reportersOf.get(service);
  if (!reporters || service.isInactive()) return;
  service.setProperty(kIOReportValuesKey, reportersFor(service).map((r) => r.valuesForRegistry()));
}

/**
 * Mirrors `IOReporter`, the base of DriverKit's reporters: a service's counters, states or
 * histograms, each in channels with an ID and a name. Drivers create one of the subclasses, add
 * channels, add it to the service's legend (`IOReportLegend.addReporterLegend`), then update it; the
 * values reach the service's registry entry (`IOReportValues`, at most every 100 ms), where
 * `driverkit report` and `driverkit ioreg` read them from a running host — in DriverKit the same
 * values reach IOReport clients through `UpdateReport`.
 */
export abstract class IOReporter extends OSObject {
  readonly channels: IOReportChannel[] = [];
  group = '';
  subGroup = '';

  protected constructor(
    readonly reportingService: IOService,
    readonly categories: number,
    readonly unit: IOReportUnit,
  ) {
    super();
  }

  /** The reporter's kind, for the legend: "simple", "state", "histogram". */
  abstract readonly kind: string;

  /** Mirrors `IOReporter::addChannel(channelID, channelName)`. */
  addChannel(channelID: bigint | number, channelName = ''): void {
    const id = BigInt(channelID);
    if (this.channels.some((c) => c.id === id)) throw new IOReturnError(kIOReturnBadArgument, `${this.getClassName()}: channel 0x${id.toString(16)} exists already`);
    this.channels.push({ id, name: channelName || `0x${id.toString(16)}` });
    this.channelAdded(id);
  }

  protected abstract channelAdded(id: bigint): void;

  /** The channel's index, or kIOReturnNotFound naming it. @internal */
  protected indexOf(channelID: bigint | number): number {
    const id = BigInt(channelID);
    const i = this.channels.findIndex((c) => c.id === id);
    if (i < 0) throw new IOReturnError(kIOReturnNotFound, `${this.getClassName()}: no channel 0x${id.toString(16)}`);
    return i;
  }

  /** @internal Joins the service's published reporters (IOReportLegend.addReporterLegend does it). */
  attach(group: string, subGroup: string): void {
    this.group = group;
    this.subGroup = subGroup;
    const set = reportersOf.get(this.reportingService) ?? new Set<IOReporter>();
    set.add(this);
    reportersOf.set(this.reportingService, set);
    this.changed();
  }

  /** What the legend says of this reporter. @internal */
  legendForRegistry(): Record<string, OSValue> {
    return { IOReportGroupName: this.group, IOReportSubGroupName: this.subGroup, IOReportKind: this.kind, IOReportCategories: this.categories, IOReportUnit: this.unit, IOReportChannels: this.channels.map((c) => ({ IOReportChannelID: c.id, IOReportChannelName: c.name })) };
  }

  /** This reporter's values now, as published. @internal */
  abstract valuesForRegistry(): Record<string, OSValue>;

  /** Values changed: publish them soon (at most every 100 ms per service). */
  protected changed(): void {
    if (reportersOf.get(this.reportingService)?.has(this)) publishSoon(this.reportingService);
  }
}
