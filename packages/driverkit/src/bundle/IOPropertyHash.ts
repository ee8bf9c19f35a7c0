import { createHash } from 'node:crypto';
import { IOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnBadArgument } from '../IOReturn/IOReturn';
import { OSData } from '../os/OSData';

/**
 * Mirrors `kIOPropertyHashTypeKey`: names the hash a registry entry carries (its value is one of the
 * keys below), and `kIOPropertySHA3256Key` / `kIOPropertySHA3384Key` / `kIOPropertySHA3512Key`:
 * the digest itself, as OSData. Apple documents the names and not their strings; these strings are
 * ours. The host puts the SHA3-256 of a driver bundle's main module on every service it starts
 * from that bundle, so `driverkit ioreg -l` shows which code is running.
 */
export const kIOPropertyHashTypeKey = 'IOPropertyHashType';
export const kIOPropertySHA3256Key = 'SHA3-256';
export const kIOPropertySHA3384Key = 'SHA3-384';
export const kIOPropertySHA3512Key = 'SHA3-512';

const ALGORITHMS: Record<string, string> = { [kIOPropertySHA3256Key]: 'sha3-256', [kIOPropertySHA3384Key]: 'sha3-384', [kIOPropertySHA3512Key]: 'sha3-512' };

/** The `type` digest (one of the kIOPropertySHA3…Key names) of `bytes`, as the OSData a registry entry carries. */
export function IOPropertyHash(bytes: Uint8Array, type: string = kIOPropertySHA3256Key): OSData {
  const algorithm = ALGORITHMS[type];
  if (!algorithm) throw new IOReturnError(kIOReturnBadArgument, `IOPropertyHash: ${JSON.stringify(type)} is not ${Object.keys(ALGORITHMS).join(', ')}`);
  return OSData.withBytes(createHash(algorithm).update(bytes).digest());
}
