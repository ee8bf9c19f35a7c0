import { readFileSync } from 'node:fs';
import { IOReturnError, isIOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnNotFound, kIOReturnNotReadable } from '../IOReturn/IOReturn';
import { OSObject } from '../os/OSObject';
import { toOSObject, type OSValue } from '../os/OSValue';
import { PlistReader } from './PlistReader';
import { PlistWriter } from './PlistWriter';

/**
 * Parses an XML property list into OS* objects.
 *
 * Mirrors `OSUnserializeXML` (libkern) and reads CoreFoundation's plists as well. Integers are exact
 * to 64 bits (a negative one is kept signed), `<data>` becomes OSData, `<real>` a double OSNumber.
 * Malformed input throws an IOReturnError (`kIOReturnBadArgument`, or `kIOReturnUnsupported` for
 * `<date>`) naming the line and column.
 */
export function OSUnserializeXML(text: string): OSObject {
  return new PlistReader(text).parse();
}

/** Writes an OS* object (or a plain value, see {@link OSValue}) as an XML property list document. */
export function OSSerializeXML(object: OSObject | OSValue): string {
  const o = object instanceof OSObject ? object : toOSObject(object);
  return new PlistWriter().document(o);
}

/** Reads and parses a property-list file; errors name the file. */
export function readPropertyListFile(path: string): OSObject {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new IOReturnError(code === 'ENOENT' ? kIOReturnNotFound : kIOReturnNotReadable, `cannot read property list ${path} (${code ?? String(e)})`, {
      osError: code,
      cause: e,
    });
  }
  try {
    return OSUnserializeXML(text);
  } catch (e) {
    if (isIOReturnError(e)) {
      throw new IOReturnError(e.code, `${path}: ${e.reason}`, { offset: e.offset, cause: e });
    }
    throw e;
  }
}
