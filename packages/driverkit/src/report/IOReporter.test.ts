import { IOHistogramReporter, IOReportLegend, IOService, IOSimpleReporter, IOStateReporter, kIOReportCategoryDebug, kIOReportUnitNone, kIOReportUnit_ns, kIOReturnBadArgument, kIOReturnNotFound, type OSArray, type OSDictionary } from '../index';
import { waitFor } from '../../test/helpers';

test('simple, state and histogram reporters keep Apple\'s values, and refuse unknown channels and states', () => {
  const service = new IOService();
  const r = IOSimpleReporter.with(service, kIOReportCategoryDebug, kIOReportUnitNone);
  r.addChannel(7n, 'seven');
  expect(() => r.addChannel(7)).toThrow(expect.objectContaining({ code: kIOReturnBadArgument }));
  r.incrementValue(7, 3);
  r.incrementValue(7, -1);
  expect(r.getValue(7)).toBe(2n);
  r.setValue(7, 2n ** 63n); // wraps as the int64 it is
  expect(r.getValue(7)).toBe(-(2n ** 63n));
  expect(() => r.getValue(8)).toThrow(expect.objectContaining({ code: kIOReturnNotFound, message: expect.stringContaining('no channel 0x8') }));

  const s = IOStateReporter.with(service, kIOReportCategoryDebug, 3, kIOReportUnit_ns);
  s.addChannel(1);
  s.setStateID(1, 0, 10, 'off');
  s.setStateID(1, 1, 11, 'on');
  s.setChannelState(1, 11);
  s.setChannelState(1, 10);
  s.setChannelState(1, 11);
  expect([s.getStateInTransitions(1, 10), s.getStateInTransitions(1, 11)]).toEqual([2n, 2n]);
  expect(s.getStateResidencyTime(1, 11) > 0n).toBe(true);
  expect(s.getStateLastTransitionTime(1, 11) >= s.getStateLastTransitionTime(1, 10)).toBe(true);
  expect(() => s.setChannelState(1, 99)).toThrow(/no state 0x63/);
  expect(() => s.setStateID(1, 3, 12)).toThrow(/state index 3 is not below 3/);
  expect(() => IOStateReporter.with(service, 0, 0, kIOReportUnitNone)).toThrow(/nstates must be 1 to 256/);

  const h = IOHistogramReporter.with(service, 0, 1, 'h', kIOReportUnit_ns, [{ base_bucket_width: 1, scale_flag: 1, segment_bucket_count: 4 }]);
  // Exponential buckets: [0,1) [1,3) [3,7) [7,15); past the end goes to the last.
  expect([0, 1, 2, 3, 6, 7, 100].map((v) => h.tallyValue(v))).toEqual([0, 1, 1, 2, 2, 3, 3]);
  expect(() => h.addChannel(2)).toThrow(/a histogram has one channel/);
  expect(() => IOHistogramReporter.with(service, 0, 1, 'h', kIOReportUnit_ns, [])).toThrow(/at least one segment/);
});

test('a service\'s reporters publish their legend at once and their values at most every 100 ms', async () => {
  const service = new IOService();
  const r = IOSimpleReporter.with(service, 0, kIOReportUnitNone);
  r.addChannel(1, 'packets');
  IOReportLegend.addReporterLegend(service, r, 'Net', 'RX');
  const legend = service.getProperty('IOReportLegend') as OSArray;
  expect(((legend.getObject(0) as OSDictionary).getObject('IOReportGroupName') as unknown as { getCStringNoCopy(): string }).getCStringNoCopy()).toBe('Net');
  const value = () => (((service.getProperty('IOReportValues') as OSArray).getObject(0) as OSDictionary).getObject('IOReportValues') as OSArray).getObject(0) as OSDictionary;
  for (let i = 0; i < 1000; i++) r.incrementValue(1, 1);
  expect(String(value().getObject('IOReportValue'))).toBe('0'); // not yet: one update per interval, not per change
  await waitFor(() => String(value().getObject('IOReportValue')) === '1000', 2000);
});
