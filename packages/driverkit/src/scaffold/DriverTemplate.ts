import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { IOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnBadArgument, kIOReturnNotFound } from '../IOReturn/IOReturn';

/**
 * What a family package offers `driverkit new` (its package.json `driverkit.template` names the folder
 * holding `template.json`): the personality that matches its virtual device, the entitlements that
 * allow it, the driver class, an optional virtual bench, and what the scaffold's client must print.
 * The core adds what every driver has (user client, client app, test, Info.plist, packaging), so a
 * family says only what is its own.
 */
export interface DriverTemplateManifest {
  /** One line for the README: what the driver is. */
  description: string;
  /** The personality's family keys (IOProviderClass and its match keys; IOClass when not IOUserService). */
  personality: Record<string, unknown>;
  /** The family's entitlements (com.apple.developer.driverkit and user-client access are added). */
  entitlements: Record<string, unknown>;
  /** Files to write (`__NAME__` in a path or text becomes the driver's name), by destination. */
  files: Record<string, string>;
  /** The virtual bench module, as built (package.json `driverkit.virtualBench`), when the template has one. */
  virtualBench?: string;
  /** A regular expression the client app's line must match once the driver runs on the bench. */
  expect: string;
}

/** A family's template, read from its installed package. */
export class DriverTemplate {
  private constructor(
    readonly packageName: string,
    readonly version: string,
    readonly directory: string,
    readonly manifest: DriverTemplateManifest,
  ) {}

  /** Reads the template of the package installed at `packageDirectory`. */
  static fromPackage(packageDirectory: string): DriverTemplate {
    const pkgPath = join(packageDirectory, 'package.json');
    if (!existsSync(pkgPath)) throw new IOReturnError(kIOReturnNotFound, `${packageDirectory}: no package.json`);
    const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { name?: string; version?: string; driverkit?: { template?: string } };
    const folder = pkg.driverkit?.template;
    if (!folder) throw new IOReturnError(kIOReturnNotFound, `${pkg.name ?? packageDirectory} offers no driver template (package.json "driverkit.template")`);
    const directory = resolve(packageDirectory, folder);
    const manifestPath = join(directory, 'template.json');
    if (!existsSync(manifestPath)) throw new IOReturnError(kIOReturnNotFound, `${pkg.name}: its template has no ${manifestPath}`);
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as DriverTemplateManifest;
    for (const key of ['description', 'personality', 'entitlements', 'files', 'expect'] as const) {
      if (manifest[key] === undefined) throw new IOReturnError(kIOReturnBadArgument, `${manifestPath}: no "${key}"`);
    }
    for (const source of Object.values(manifest.files)) {
      const file = resolve(directory, source);
      // A template names files inside its own folder only.
      if (!file.startsWith(directory + sep)) throw new IOReturnError(kIOReturnBadArgument, `${manifestPath}: ${source} is outside the template`);
      if (!existsSync(file)) throw new IOReturnError(kIOReturnNotFound, `${manifestPath}: ${source} does not exist`);
    }
    return new DriverTemplate(pkg.name ?? dirname(packageDirectory), pkg.version ?? '0.0.0', directory, manifest);
  }

  /** The text of one of the template's files, with the driver's name put in. */
  text(source: string, name: string): string {
    return readFileSync(join(this.directory, source), 'utf8').replaceAll('__NAME__', name);
  }
}
