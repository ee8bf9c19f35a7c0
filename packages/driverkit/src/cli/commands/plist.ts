import { formatIORegProperties, formatIORegValue } from '../../ioreg/formatIORegValue';
import { OSDictionary } from '../../os/OSDictionary';
import { readPropertyListFile } from '../../plist/OSPropertyList';

/** `driverkit plist <file>`: parse a property list and print it as ioreg prints properties. */
export function plist(args: string[]): number {
  const [file] = args;
  if (!file) {
    process.stderr.write('usage: driverkit plist <file>\n');
    return 1;
  }
  const o = readPropertyListFile(file);
  process.stdout.write(`${o instanceof OSDictionary ? formatIORegProperties(o) : formatIORegValue(o)}\n`);
  return 0;
}
