import { IOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnUnsupported } from '../IOReturn/IOReturn';
import { OSArray } from '../os/OSArray';
import { OSBoolean } from '../os/OSBoolean';
import { OSData } from '../os/OSData';
import { OSDictionary } from '../os/OSDictionary';
import { OSNumber } from '../os/OSNumber';
import type { OSObject } from '../os/OSObject';
import { OSSet } from '../os/OSSet';
import { OSString } from '../os/OSString';

const HEADER =
  '<?xml version="1.0" encoding="UTF-8"?>\n' +
  '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n' +
  '<plist version="1.0">\n';

/**
 * Writes OS* objects as an XML property list the way CoreFoundation does (tab indentation, `<data>`
 * in base64, integers in decimal), so a written Info.plist diffs cleanly against Apple's. An OSSet
 * is written as `<array>`, as CoreFoundation has no set type.
 */
export class PlistWriter {
  readonly #out: string[] = [];

  /** The whole document, with the XML declaration, DOCTYPE and `<plist>` element. */
  document(o: OSObject): string {
    this.#out.length = 0;
    this.#out.push(HEADER);
    this.#value(o, 0);
    this.#out.push('</plist>\n');
    return this.#out.join('');
  }

  #value(o: OSObject, depth: number): void {
    const indent = '\t'.repeat(depth);
    const out = this.#out;
    if (o instanceof OSDictionary) {
      if (o.getCount() === 0) {
        out.push(`${indent}<dict/>\n`);
        return;
      }
      out.push(`${indent}<dict>\n`);
      for (const [k, v] of o) {
        out.push(`${indent}\t<key>${escape(k)}</key>\n`);
        this.#value(v, depth + 1);
      }
      out.push(`${indent}</dict>\n`);
    } else if (o instanceof OSArray || o instanceof OSSet) {
      if (o.getCount() === 0) {
        out.push(`${indent}<array/>\n`);
        return;
      }
      out.push(`${indent}<array>\n`);
      for (const v of o) this.#value(v, depth + 1);
      out.push(`${indent}</array>\n`);
    } else if (o instanceof OSString) {
      out.push(`${indent}<string>${escape(o.getCStringNoCopy())}</string>\n`);
    } else if (o instanceof OSNumber) {
      if (o.isFloat()) {
        const d = o.doubleValue();
        const s = Number.isNaN(d) ? 'nan' : d === Infinity ? '+infinity' : d === -Infinity ? '-infinity' : String(d);
        out.push(`${indent}<real>${s}</real>\n`);
      } else {
        out.push(`${indent}<integer>${o.value()}</integer>\n`);
      }
    } else if (o instanceof OSBoolean) {
      out.push(`${indent}<${o.isTrue() ? 'true' : 'false'}/>\n`);
    } else if (o instanceof OSData) {
      const b64 = Buffer.from(o.getBytesNoCopy()).toString('base64');
      out.push(`${indent}<data>\n`);
      for (let i = 0; i < b64.length; i += 68) out.push(`${indent}${b64.slice(i, i + 68)}\n`);
      out.push(`${indent}</data>\n`);
    } else {
      throw new IOReturnError(kIOReturnUnsupported, `a ${o.getClassName()} has no property-list form`);
    }
  }
}

function escape(s: string): string {
  return s.replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'));
}
