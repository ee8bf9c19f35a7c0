import { createHash } from 'node:crypto';
import { IOPropertyHash, kIOPropertySHA3256Key, kIOPropertySHA3384Key, kIOPropertySHA3512Key, kIOReturnBadArgument } from '../index';

test('IOPropertyHash gives each SHA3 digest as OSData, and names the types it knows when given another', () => {
  const bytes = new TextEncoder().encode('abc');
  for (const [type, algorithm, length] of [[kIOPropertySHA3256Key, 'sha3-256', 32], [kIOPropertySHA3384Key, 'sha3-384', 48], [kIOPropertySHA3512Key, 'sha3-512', 64]] as const) {
    const d = IOPropertyHash(bytes, type);
    expect(d.getLength()).toBe(length);
    expect(Buffer.from(d.getBytesNoCopy()).equals(createHash(algorithm).update(bytes).digest())).toBe(true);
  }
  // SHA3-256("abc"), FIPS 202's example.
  expect(Buffer.from(IOPropertyHash(bytes).getBytesNoCopy()).toString('hex')).toBe('3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532');
  expect(() => IOPropertyHash(bytes, 'SHA-1')).toThrow(expect.objectContaining({ code: kIOReturnBadArgument, message: expect.stringMatching(/"SHA-1" is not SHA3-256, SHA3-384, SHA3-512/) }));
});
