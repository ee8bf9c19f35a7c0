import { OSDictionary } from '../os/OSDictionary';
import { OSNumber } from '../os/OSNumber';
import type { OSObject } from '../os/OSObject';
import { OSString } from '../os/OSString';

/** A message's string field, or null when absent or not a string (frames are not trusted). */
export function messageString(m: OSDictionary, key: string): string | null {
  const v = m.getObject(key);
  return v instanceof OSString ? v.getCStringNoCopy() : null;
}

/** A message's number field (up to 2^53), or null when absent or not a number. */
export function messageNumber(m: OSDictionary, key: string): number | null {
  const v = m.getObject(key);
  return v instanceof OSNumber ? Number(v.unsigned64BitValue()) : null;
}

/** A message (or reply fields) from plain values; the caller sends and releases it. */
export function messageFields(values: Record<string, OSObject | string | number | bigint | boolean>): OSDictionary {
  const d = OSDictionary.withCapacity(Object.keys(values).length);
  for (const [k, v] of Object.entries(values)) d.setObject(k, v);
  return d;
}
