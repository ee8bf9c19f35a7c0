import type { IOService } from '../service/IOService';
import { publishValues, reportersFor, type IOReporter } from './IOReporter';
import { kIOReportLegendKey } from './IOReportTypes';

/**
 * Mirrors `IOReportLegend`: what a service reports, published in its `IOReportLegend` registry
 * property. `addReporterLegend` is the call drivers make once a reporter has its channels.
 */
export class IOReportLegend {
  /** Mirrors `IOReportLegend::addReporterLegend(reportingService, reporter, groupName, subGroupName)`. */
  static addReporterLegend(reportingService: IOService, reporter: IOReporter, groupName: string, subGroupName = ''): void {
    reporter.attach(groupName, subGroupName);
    reportingService.setProperty(kIOReportLegendKey, reportersFor(reportingService).map((r) => r.legendForRegistry()));
    publishValues(reportingService);
  }
}
