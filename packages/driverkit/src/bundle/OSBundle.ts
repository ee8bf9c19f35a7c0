import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join, normalize, resolve, sep } from 'node:path';
import { IOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnBadArgument, kIOReturnUnsupported } from '../IOReturn/IOReturn';
import { OSObject } from '../os/OSObject';
import { OSMappedFile } from './OSMappedFile';

const running = new Set<string>();

/**
 * Mirrors `OSBundle`: a driver's bundle, its package folder here. `loadResource` maps a file from
 * its `Resources/` folder (a dext's Contents/Resources), refusing names that climb out of it.
 */
export class OSBundle extends OSObject {
  private constructor(readonly path: string) {
    super();
  }

  /** @internal The runtime running a driver package registers its folder. */
  static addRunningBundle(directory: string): void {
    running.add(resolve(directory));
  }

  /**
   * Mirrors `OSBundle::mainBundle()`: the bundle of the driver running in this process. In-process
   * mode runs several drivers' bundles in one process, where the question has no single answer:
   * there it throws kIOReturnUnsupported (use createFromPath).
   */
  static mainBundle(): OSBundle | null {
    if (running.size === 0) return null;
    if (running.size > 1) throw new IOReturnError(kIOReturnUnsupported, `OSBundle.mainBundle: ${running.size} driver bundles run in this process (in-process mode); use OSBundle.createFromPath`);
    return new OSBundle([...running][0]!);
  }

  /** Mirrors `OSBundle::createFromPath(path)`: null when there is no such folder. */
  static createFromPath(path: string): OSBundle | null {
    const dir = resolve(path);
    return existsSync(dir) && statSync(dir).isDirectory() ? new OSBundle(dir) : null;
  }

  /** Mirrors `loadResource(name, options, minGuardSize, &mappedFile)`: `Resources/<name>`, mapped. */
  loadResource(name: string, options: bigint | number = 0n, minGuardSize = 0): OSMappedFile {
    const relative = normalize(name);
    if (!name || isAbsolute(name) || relative === '..' || relative.startsWith(`..${sep}`)) throw new IOReturnError(kIOReturnBadArgument, `OSBundle.loadResource: "${name}" is not a name inside the bundle's Resources`);
    return OSMappedFile.createFromPath(join(this.path, 'Resources', relative), options, minGuardSize);
  }
}
