import { OSArray, OSDictionary, OSNumber, OSString, type IOFamilyMatchResult, type IOMatchCheck, type IOMatchingFamily, type IOService, type OSObject } from '@driverkit/driverkit';

/** Apple's HID match scores (IOHIDFamily's MatchPropertyTable). */
export const kHIDMatchScore = {
  VendorID: 5000,
  LocationID: 2000,
  Transport: 1000,
  PrimaryUsagePage: 1100,
  PrimaryUsage: 100,
  UsagePairBase: 1100,
  UsagePair: 100,
  UsagePairPageOnly: 50,
  ProductID: 1000,
  ProductIDArray: 975,
  ProductIDMask: 950,
  ProductIDArrayMask: 925,
  Identity: 100,
} as const;

const num = (o: OSObject | null): number | null => (o instanceof OSNumber ? Number(o.unsigned64BitValue()) : null);
const str = (o: OSObject | null): string | null => (o instanceof OSString ? o.getCStringNoCopy() : null);
const nums = (o: OSObject | null): number[] | null => (o instanceof OSArray ? [...o].map((x) => num(x)).filter((x): x is number => x !== null) : null);

function pairs(o: OSObject | null): Array<{ page: number; usage: number | null }> {
  if (!(o instanceof OSArray)) return [];
  return [...o]
    .filter((d): d is OSDictionary => d instanceof OSDictionary)
    .map((d) => ({ page: num(d.getObject('DeviceUsagePage')) ?? -1, usage: num(d.getObject('DeviceUsage')) }));
}

/**
 * The HID family's matching hook: the keys and scores of Apple's IOHIDFamily for personalities on
 * IOHIDDevice and IOHIDInterface nubs (VendorID, ProductID and its array and mask forms, usage pages and
 * pairs, Transport, LocationID, identity strings). Any key the personality gives that the device does
 * not satisfy means no match.
 */
export const HIDMatchingFamily: IOMatchingFamily = {
  name: 'HID',
  providerClasses: ['IOHIDDevice', 'IOHIDInterface'],
  matchPropertyTable(provider: IOService, table: OSDictionary, score: number): IOFamilyMatchResult {
    const checks: IOMatchCheck[] = [];
    const dev = (k: string) => provider.getProperty(k);
    const want = (k: string) => table.getObject(k);
    let total = score;
    const check = (key: string, passed: boolean, detail: string, points = 0) => {
      checks.push({ key, passed, detail: passed && points ? `${detail} (+${points})` : detail });
      if (passed) total += points;
    };

    // VendorID gates the vendor-specific points (product, version).
    let vendorMatched = false;
    if (want('VendorID')) {
      vendorMatched = num(want('VendorID')) === num(dev('VendorID'));
      check('VendorID', vendorMatched, `device ${num(dev('VendorID'))}, personality ${num(want('VendorID'))}`, kHIDMatchScore.VendorID);
    }
    const product = num(dev('ProductID'));
    const mask = num(want('ProductIDMask'));
    const array = nums(want('ProductIDArray'));
    const exact = num(want('ProductID'));
    const vendorPoints = (p: number) => (vendorMatched ? p : 0);
    if (array && mask !== null) {
      const ok = product !== null && array.some((p) => (p & mask) === (product & mask));
      check('ProductIDArray+ProductIDMask', ok, `device ${product} under mask 0x${mask.toString(16)}`, vendorPoints(kHIDMatchScore.ProductIDArrayMask));
    } else if (array) {
      const ok = product !== null && array.includes(product);
      check('ProductIDArray', ok, `device ${product}${ok ? ' is listed' : ` is not in [${array.join(', ')}]`}`, vendorPoints(kHIDMatchScore.ProductIDArray));
    } else if (exact !== null && mask !== null) {
      const ok = product !== null && (product & mask) === (exact & mask);
      check('ProductID+ProductIDMask', ok, `device ${product}, personality ${exact} under mask 0x${mask.toString(16)}`, vendorPoints(kHIDMatchScore.ProductIDMask));
    } else if (exact !== null) {
      check('ProductID', product === exact, `device ${product}, personality ${exact}`, vendorPoints(kHIDMatchScore.ProductID));
    }
    if (want('VersionNumber')) check('VersionNumber', num(want('VersionNumber')) === num(dev('VersionNumber')), `device ${num(dev('VersionNumber'))}`, vendorPoints(kHIDMatchScore.Identity));
    for (const key of ['Manufacturer', 'SerialNumber', 'PhysicalDeviceUniqueID']) {
      if (want(key)) check(key, str(want(key)) === str(dev(key)), `device ${JSON.stringify(str(dev(key)))}`, kHIDMatchScore.Identity);
    }
    if (want('LocationID')) check('LocationID', num(want('LocationID')) === num(dev('LocationID')), `device 0x${(num(dev('LocationID')) ?? 0).toString(16)}`, kHIDMatchScore.LocationID);
    if (want('Transport')) check('Transport', str(want('Transport')) === str(dev('Transport')), `device ${JSON.stringify(str(dev('Transport')))}`, kHIDMatchScore.Transport);
    if (want('BootProtocol')) check('BootProtocol', num(want('BootProtocol')) === num(dev('BootProtocol')), `device ${num(dev('BootProtocol'))}`);
    for (const key of ['HIDDefaultBehavior', 'IOHIDCompatibilityInterface']) {
      if (want(key)) check(key, dev(key) !== null, dev(key) !== null ? 'the device has it' : 'the device lacks it');
    }

    // Usage pairs (or a single DeviceUsagePage/DeviceUsage) replace the primary-usage score.
    const wanted = pairs(want('DeviceUsagePairs'));
    if (want('DeviceUsagePage')) wanted.push({ page: num(want('DeviceUsagePage'))!, usage: num(want('DeviceUsage')) });
    if (wanted.length) {
      const have = pairs(dev('DeviceUsagePairs'));
      const primaryPage = num(dev('PrimaryUsagePage'));
      if (have.length === 0 && primaryPage !== null) have.push({ page: primaryPage, usage: num(dev('PrimaryUsage')) });
      let points = 0;
      for (const w of wanted) {
        if (have.some((h) => h.page === w.page && (w.usage === null || h.usage === w.usage))) points += kHIDMatchScore.UsagePair;
        else if (have.some((h) => h.page === w.page)) points += kHIDMatchScore.UsagePairPageOnly;
      }
      check('DeviceUsagePairs', points > 0, points > 0 ? `${wanted.length} pair(s) wanted` : `none of ${wanted.map((w) => `${w.page}:${w.usage}`).join(', ')} on the device`, points > 0 ? kHIDMatchScore.UsagePairBase + points : 0);
    } else {
      if (want('PrimaryUsagePage')) check('PrimaryUsagePage', num(want('PrimaryUsagePage')) === num(dev('PrimaryUsagePage')), `device ${num(dev('PrimaryUsagePage'))}`, kHIDMatchScore.PrimaryUsagePage);
      if (want('PrimaryUsage')) check('PrimaryUsage', num(want('PrimaryUsage')) === num(dev('PrimaryUsage')), `device ${num(dev('PrimaryUsage'))}`, kHIDMatchScore.PrimaryUsage);
    }
    const matched = checks.every((c) => c.passed);
    return { matched, score: matched ? total : score, checks };
  },
};
