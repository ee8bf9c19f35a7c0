import { OSArray } from '../os/OSArray';
import { OSBoolean } from '../os/OSBoolean';
import { OSData } from '../os/OSData';
import { OSDictionary } from '../os/OSDictionary';
import { OSNumber } from '../os/OSNumber';
import type { OSObject } from '../os/OSObject';
import { OSSet } from '../os/OSSet';
import { OSString } from '../os/OSString';

/** Longest text one value is allowed to produce; shared sub-objects could otherwise multiply it. */
const MAX_CHARS = 64 * 1024;

class Budget {
  used = 0;
  cut = false;
  take(s: string, out: string[]): boolean {
    if (this.cut) return false;
    if (this.used + s.length > MAX_CHARS) {
      out.push('…');
      this.cut = true;
      return false;
    }
    this.used += s.length;
    out.push(s);
    return true;
  }
}

/**
 * Formats a value as macOS `ioreg -l` prints properties: strings quoted, numbers in decimal,
 * booleans `Yes`/`No`, data as `<0a1b…>`, arrays and sets as `(a,b)`, dictionaries as
 * `{"key"=value,…}`. Output is capped at 64 KiB, ending in `…` when cut.
 */
export function formatIORegValue(o: OSObject): string {
  const out: string[] = [];
  write(o, out, new Budget());
  return out.join('');
}

function write(o: OSObject, out: string[], budget: Budget): void {
  if (o instanceof OSString) {
    budget.take(JSON.stringify(o.getCStringNoCopy()), out);
  } else if (o instanceof OSNumber) {
    budget.take(String(o.value()), out);
  } else if (o instanceof OSBoolean) {
    budget.take(o.isTrue() ? 'Yes' : 'No', out);
  } else if (o instanceof OSData) {
    budget.take(`<${Buffer.from(o.getBytesNoCopy()).toString('hex')}>`, out);
  } else if (o instanceof OSArray || o instanceof OSSet) {
    if (!budget.take('(', out)) return;
    let first = true;
    for (const v of o) {
      if (!first && !budget.take(',', out)) return;
      first = false;
      write(v, out, budget);
    }
    budget.take(')', out);
  } else if (o instanceof OSDictionary) {
    if (!budget.take('{', out)) return;
    let first = true;
    for (const [k, v] of o) {
      if (!budget.take(`${first ? '' : ','}${JSON.stringify(k)}=`, out)) return;
      first = false;
      write(v, out, budget);
    }
    budget.take('}', out);
  } else {
    budget.take(`<${o.getClassName()}>`, out);
  }
}

/**
 * The property block of one registry entry as `ioreg -l` prints it: one `"key" = value` line per
 * property between braces, each line starting with `prefix` (the tree's `| ` columns).
 */
export function formatIORegProperties(properties: OSDictionary, prefix = ''): string {
  const lines = [`${prefix}{`];
  for (const [k, v] of properties) lines.push(`${prefix}  ${JSON.stringify(k)} = ${formatIORegValue(v)}`);
  lines.push(`${prefix}}`);
  return lines.join('\n');
}
