import { OSArray, OSNumber, OSString, type IOFamilyMatchResult, type IOMatchCheck, type IOMatchingFamily, type IOService, type OSDictionary, type OSObject } from '@driverkit/driverkit';

/** The scores of Apple's USB matching ladder (Technical Q&A QA1076). */
export const kUSBMatchScore = {
  VendorProductRelease: 100000,
  VendorProduct: 90000,
  VendorSubClassProtocol: 80000,
  VendorSubClass: 70000,
  ClassSubClassProtocol: 60000,
  ClassSubClass: 50000,
  /** IOProbeScore above this is cut to ProbeScoreCap, so it cannot lift a personality a rung. */
  ProbeScoreLimit: 10000,
  ProbeScoreCap: 9000,
  Wildcard: -1000,
  Mask: -500,
} as const;

const kVendorSpecific = 0xff;

type Verdict = { present: boolean; matches: boolean; wildcard: boolean; masked: boolean; detail: string };

const num = (o: OSObject | null): number | null => (o instanceof OSNumber ? Number(o.unsigned64BitValue()) : null);
const isWildcard = (o: OSObject | null) => o instanceof OSString && o.getCStringNoCopy() === '*';

/**
 * The USB family's matching hook, after IOUSBHostNub's USBCompareProperty / IsWildCardMatch /
 * USBComparePropertyWithMask / USBComparePropertyInArray(WithMask) and QA1076's ladder: a personality
 * scores by the one key combination it states, each valid only without extra keys; `"*"` matches any
 * value (−1000), a mask match costs 500, and IOProbeScore cannot lift it a rung. No rung, no match.
 *
 * A table without IOProviderClass (a `transport.usb` entitlement dictionary) is compared key by key:
 * every USB key it states must match.
 */
export const USBMatchingFamily: IOMatchingFamily = {
  name: 'USB',
  providerClasses: ['IOUSBHostDevice', 'IOUSBHostInterface'],
  matchPropertyTable(provider: IOService, table: OSDictionary, score: number): IOFamilyMatchResult {
    const isInterface = provider.classHierarchy().includes('IOUSBHostInterface');
    const cls = isInterface ? 'bInterfaceClass' : 'bDeviceClass';
    const sub = isInterface ? 'bInterfaceSubClass' : 'bDeviceSubClass';
    const proto = isInterface ? 'bInterfaceProtocol' : 'bDeviceProtocol';
    const dev = (k: string) => num(provider.getProperty(k));

    const compare = (key: string): Verdict => {
      const want = table.getObject(key);
      if (want === null) return { present: false, matches: false, wildcard: false, masked: false, detail: 'absent' };
      const have = dev(key);
      if (isWildcard(want)) return { present: true, matches: have !== null, wildcard: true, masked: false, detail: `wildcard, device ${have}` };
      const w = num(want);
      return { present: true, matches: w !== null && w === have, wildcard: false, masked: false, detail: `device ${have}, personality ${w ?? 'not a number'}` };
    };
    // idProduct with its array and mask forms (USBComparePropertyInArrayWithMask).
    const product = (): Verdict => {
      const have = dev('idProduct');
      const mask = num(table.getObject('idProductMask'));
      const array = table.getObject('idProductArray');
      const single = table.getObject('idProduct');
      if (single === null && !(array instanceof OSArray)) return { present: false, matches: false, wildcard: false, masked: false, detail: 'absent' };
      if (isWildcard(single)) return { present: true, matches: have !== null, wildcard: true, masked: false, detail: `wildcard, device ${have}` };
      const candidates = array instanceof OSArray ? [...array].map(num).filter((n): n is number => n !== null) : [num(single)].filter((n): n is number => n !== null);
      const m = mask ?? 0xffff;
      const hit = have !== null && candidates.some((c) => (have & m) === (c & m));
      return { present: true, matches: hit, wildcard: false, masked: mask !== null, detail: `device ${have}, personality ${array instanceof OSArray ? `one of [${candidates.join(', ')}]` : candidates[0]}${mask !== null ? ` under mask 0x${mask.toString(16)}` : ''}` };
    };

    const v = {
      idVendor: compare('idVendor'),
      idProduct: product(),
      bcdDevice: compare('bcdDevice'),
      cls: compare(cls),
      sub: compare(sub),
      proto: compare(proto),
      bInterfaceNumber: isInterface ? compare('bInterfaceNumber') : { present: false, matches: false, wildcard: false, masked: false, detail: 'absent' },
      bConfigurationValue: isInterface ? compare('bConfigurationValue') : { present: false, matches: false, wildcard: false, masked: false, detail: 'absent' },
    };
    const named: Array<[string, Verdict]> = [
      ['idVendor', v.idVendor],
      [table.getObject('idProductArray') ? 'idProductArray' : 'idProduct', v.idProduct],
      ['bcdDevice', v.bcdDevice],
      [cls, v.cls],
      [sub, v.sub],
      [proto, v.proto],
      ['bInterfaceNumber', v.bInterfaceNumber],
      ['bConfigurationValue', v.bConfigurationValue],
    ];
    const checks: IOMatchCheck[] = [];
    const stated = named.filter(([, x]) => x.present);

    // An entitlement dictionary: every stated key must match.
    if (table.getObject('IOProviderClass') === null) {
      for (const [k, x] of stated) checks.push({ key: k, passed: x.matches, detail: x.detail });
      return { matched: checks.every((c) => c.passed), score, checks };
    }

    const ok = (x: Verdict) => x.present && x.matches;
    const absent = (...xs: Verdict[]) => xs.every((x) => !x.present);
    const optional = (...xs: Verdict[]) => xs.every((x) => !x.present || x.matches);
    const deviceClass = dev(cls);
    const ifaceKeys = isInterface ? ok(v.bInterfaceNumber) && ok(v.bConfigurationValue) : true;
    const noIfaceKeys = absent(v.bInterfaceNumber, v.bConfigurationValue);

    let rung: { score: number; name: string } | null = null;
    if (ok(v.idVendor) && ok(v.idProduct) && ifaceKeys && optional(v.cls, v.sub, v.proto)) {
      if (ok(v.bcdDevice)) rung = { score: kUSBMatchScore.VendorProductRelease, name: `idVendor + idProduct${isInterface ? ' + bInterfaceNumber + bConfigurationValue' : ''} + bcdDevice` };
      else if (!v.bcdDevice.present) rung = { score: kUSBMatchScore.VendorProduct, name: `idVendor + idProduct${isInterface ? ' + bInterfaceNumber + bConfigurationValue' : ''}` };
    } else if (deviceClass === kVendorSpecific && ok(v.idVendor) && ok(v.sub) && optional(v.cls) && absent(v.idProduct, v.bcdDevice) && noIfaceKeys) {
      rung = ok(v.proto) ? { score: kUSBMatchScore.VendorSubClassProtocol, name: `idVendor + ${sub} + ${proto}` } : !v.proto.present ? { score: kUSBMatchScore.VendorSubClass, name: `idVendor + ${sub}` } : null;
    } else if (deviceClass !== kVendorSpecific && ok(v.cls) && ok(v.sub) && absent(v.idVendor, v.idProduct, v.bcdDevice) && noIfaceKeys) {
      rung = ok(v.proto) ? { score: kUSBMatchScore.ClassSubClassProtocol, name: `${cls} + ${sub} + ${proto}` } : !v.proto.present ? { score: kUSBMatchScore.ClassSubClass, name: `${cls} + ${sub}` } : null;
    }

    for (const [k, x] of stated) checks.push({ key: k, passed: x.matches, detail: x.detail });
    if (!rung) {
      const failed = checks.some((c) => !c.passed);
      checks.push({
        key: 'USB key combination',
        passed: false,
        detail: failed
          ? 'a stated key does not match'
          : `${stated.map(([k]) => k).join(' + ') || 'no USB keys'} is not one of QA1076's combinations${deviceClass === kVendorSpecific ? '' : ` (the vendor rungs need ${cls} 0xFF)`}`,
      });
      return { matched: false, score, checks };
    }
    const probe = score >= kUSBMatchScore.ProbeScoreLimit ? kUSBMatchScore.ProbeScoreCap : score;
    const wildcards = stated.filter(([, x]) => x.wildcard).length;
    const masked = v.idProduct.masked ? 1 : 0;
    const total = rung.score + probe + wildcards * kUSBMatchScore.Wildcard + masked * kUSBMatchScore.Mask;
    checks.push({ key: 'USB key combination', passed: true, detail: `${rung.name} (${rung.score}${probe ? ` + IOProbeScore ${probe}` : ''}${wildcards ? ` − ${wildcards * 1000} for wildcards` : ''}${masked ? ' − 500 for the mask' : ''} = ${total})` });
    return { matched: true, score: total, checks };
  },
};
