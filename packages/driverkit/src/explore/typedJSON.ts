import { OSArray } from '../os/OSArray';
import { OSBoolean } from '../os/OSBoolean';
import { OSData } from '../os/OSData';
import { OSDictionary } from '../os/OSDictionary';
import { OSNumber } from '../os/OSNumber';
import type { OSObject } from '../os/OSObject';
import { OSSet } from '../os/OSSet';
import { OSString } from '../os/OSString';

/** A property as the explorer's page shows it: its OSObject type and its value. */
export type TypedValue =
  | { type: 'OSString' | 'OSSymbol'; value: string }
  | { type: 'OSNumber'; value: string; bits: number }
  | { type: 'OSBoolean'; value: boolean }
  | { type: 'OSData'; value: string; length: number }
  | { type: 'OSArray' | 'OSSet'; value: TypedValue[] }
  | { type: 'OSDictionary'; value: Record<string, TypedValue> }
  | { type: string; value: null };

/** An OSObject as JSON that keeps its type (numbers as decimal strings: all 64 bits survive). */
export function toTypedJSON(o: OSObject | null): TypedValue {
  if (o instanceof OSString) return { type: o.getClassName() === 'OSSymbol' ? 'OSSymbol' : 'OSString', value: o.getCStringNoCopy() };
  if (o instanceof OSNumber) return { type: 'OSNumber', value: String(o.isFloat() ? o.doubleValue() : o.isSigned() ? o.signed64BitValue() : o.unsigned64BitValue()), bits: o.numberOfBits() };
  if (o instanceof OSBoolean) return { type: 'OSBoolean', value: o.isTrue() };
  if (o instanceof OSData) {
    const bytes = o.getBytesNoCopy();
    // Long blobs (descriptors, firmware) are cut for the page; the length says how much there is.
    return { type: 'OSData', value: Buffer.from(bytes.subarray(0, 512)).toString('hex'), length: bytes.length };
  }
  if (o instanceof OSArray || o instanceof OSSet) return { type: o instanceof OSSet ? 'OSSet' : 'OSArray', value: [...o].map((x) => toTypedJSON(x)) };
  if (o instanceof OSDictionary) return { type: 'OSDictionary', value: Object.fromEntries([...o.entries()].map(([k, v]) => [k, toTypedJSON(v)])) };
  return { type: o ? o.getClassName() : 'null', value: null };
}

/** One registry entry for the page: who it is, its properties, its children. */
export interface ExplorerEntry {
  id: string;
  name: string;
  className: string;
  location: string | null;
  state: string | null;
  properties: Record<string, TypedValue>;
  children: ExplorerEntry[];
}

const kStructural = new Set(['IORegistryEntryName', 'IOObjectClass', 'IORegistryEntryID', 'IORegistryEntryLocation', 'IOObjectState', 'IORegistryEntryChildren']);

/** The host's registry dictionary (IORegistry.toDictionary's shape) as a tree for the page. */
export function toExplorerEntry(d: OSDictionary): ExplorerEntry {
  const text = (k: string) => (d.getObject(k) instanceof OSString ? (d.getObject(k) as OSString).getCStringNoCopy() : null);
  const id = d.getObject('IORegistryEntryID');
  const children = d.getObject('IORegistryEntryChildren');
  const properties: Record<string, TypedValue> = {};
  for (const [k, v] of d.entries()) if (!kStructural.has(k)) properties[k] = toTypedJSON(v);
  return {
    id: id instanceof OSNumber ? `0x${id.unsigned64BitValue().toString(16)}` : '?',
    name: text('IORegistryEntryName') ?? '?',
    className: text('IOObjectClass') ?? '?',
    location: text('IORegistryEntryLocation'),
    state: text('IOObjectState'),
    properties,
    children: children instanceof OSArray ? [...children].filter((c): c is OSDictionary => c instanceof OSDictionary).map(toExplorerEntry) : [],
  };
}
