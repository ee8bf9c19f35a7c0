import { OSArray } from '../os/OSArray';
import { OSDictionary } from '../os/OSDictionary';
import { OSNumber } from '../os/OSNumber';
import { OSString } from '../os/OSString';
import { formatIORegValue } from './formatIORegValue';

/** What `ioreg` shows: `-l` properties, `-c` class, `-n` name, `-r` only subtrees rooted at matches. */
export interface IORegTreeOptions {
  properties?: boolean;
  className?: string;
  name?: string;
  rootedAtMatches?: boolean;
}

const META = new Set(['IORegistryEntryName', 'IOObjectClass', 'IORegistryEntryID', 'IORegistryEntryLocation', 'IOObjectState', 'IORegistryEntryChildren']);

function str(d: OSDictionary, key: string): string | null {
  const v = d.getObject(key);
  return v instanceof OSString ? v.getCStringNoCopy() : null;
}

function children(d: OSDictionary): OSDictionary[] {
  const a = d.getObject('IORegistryEntryChildren');
  return a instanceof OSArray ? [...a].filter((c): c is OSDictionary => c instanceof OSDictionary) : [];
}

function matches(d: OSDictionary, o: IORegTreeOptions): boolean {
  if (o.className && str(d, 'IOObjectClass') !== o.className) return false;
  if (o.name && !namedAs(d, o.name)) return false;
  return Boolean(o.className || o.name);
}

/** `-n` takes a name as the tree prints it: `Name` alone, or `Name@location`. */
function namedAs(d: OSDictionary, wanted: string): boolean {
  const name = str(d, 'IORegistryEntryName');
  const location = str(d, 'IORegistryEntryLocation');
  return wanted === name || (location !== null && wanted === `${name}@${location}`);
}

function contains(d: OSDictionary, o: IORegTreeOptions): boolean {
  return matches(d, o) || children(d).some((c) => contains(c, o));
}

/**
 * Formats a registry tree (from `IORegistry.toDictionary`) as macOS `ioreg` prints it:
 * `+-o Name@location  <class C, id 0x…, registered, matched, active>`, with `|` rails and, for
 * `-l` or entries selected by `-c`/`-n`, their properties.
 */
export function formatIORegTree(root: OSDictionary, options: IORegTreeOptions = {}): string {
  const lines: string[] = [];
  const filtering = Boolean(options.className || options.name);
  const emit = (d: OSDictionary, indent: string, last: boolean, isRoot: boolean) => {
    const name = str(d, 'IORegistryEntryName') ?? '?';
    const location = str(d, 'IORegistryEntryLocation');
    const id = d.getObject('IORegistryEntryID');
    const state = str(d, 'IOObjectState');
    const facts = [`class ${str(d, 'IOObjectClass') ?? '?'}`, id instanceof OSNumber ? `id 0x${id.unsigned64BitValue().toString(16)}` : null, state].filter(Boolean).join(', ');
    lines.push(`${indent}+-o ${name}${location ? `@${location}` : ''}  <${facts}>`);
    const rail = isRoot ? '  ' : `${indent}${last ? '  ' : '| '}`;
    const kids = children(d).filter((c) => !filtering || options.rootedAtMatches || contains(c, options));
    if (options.properties || matches(d, options)) {
      const bar = kids.length ? `${rail}| ` : `${rail}  `;
      lines.push(`${bar}{`);
      for (const [k, v] of d) if (!META.has(k)) lines.push(`${bar}  ${JSON.stringify(k)} = ${formatIORegValue(v)}`);
      lines.push(`${bar}}`);
      lines.push(bar.trimEnd());
    }
    kids.forEach((c, i) => emit(c, rail, i === kids.length - 1, false));
  };
  if (filtering && options.rootedAtMatches) {
    const found: OSDictionary[] = [];
    const walk = (d: OSDictionary) => (matches(d, options) ? found.push(d) : children(d).forEach(walk));
    walk(root);
    for (const d of found) emit(d, '', true, true);
  } else {
    emit(root, '', true, true);
  }
  return lines.join('\n');
}
