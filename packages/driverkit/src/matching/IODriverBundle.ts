import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { IOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnBadArgument, kIOReturnNotFound } from '../IOReturn/IOReturn';
import { IOPropertyHash, kIOPropertySHA3256Key } from '../bundle/IOPropertyHash';
import { OSArray } from '../os/OSArray';
import type { OSData } from '../os/OSData';
import { OSDictionary } from '../os/OSDictionary';
import type { OSObject } from '../os/OSObject';
import { OSString } from '../os/OSString';
import { toOSObject, type OSValue } from '../os/OSValue';
import { readPropertyListFile } from '../plist/OSPropertyList';
import { IOPersonality } from './IOPersonality';

interface PackageJson {
  name?: string;
  main?: string;
  driverkit?: {
    bundleIdentifier?: string;
    main?: string;
    IOKitPersonalities?: Record<string, OSValue>;
    entitlements?: Record<string, OSValue> | string;
    buildSettings?: Record<string, string>;
  };
}

/**
 * A driver package as the host sees it: Apple's bundle pieces (CFBundleIdentifier, IOKitPersonalities,
 * entitlements) and the module that holds its classes.
 *
 * Personalities come from an `Info.plist` beside package.json, loaded unchanged from an Apple sample
 * (Xcode build settings such as `$(PRODUCT_BUNDLE_IDENTIFIER)` are filled in from the package), or
 * from package.json's `"driverkit": { "IOKitPersonalities": … }`. Entitlements come from the one
 * `.entitlements` file beside it or from `"driverkit": { "entitlements": … }`.
 */
export class IODriverBundle {
  readonly personalities: IOPersonality[] = [];
  #codeHash: OSData | null | undefined;

  private constructor(
    readonly directory: string,
    readonly bundleIdentifier: string,
    /** The module that exports the driver classes, by their IOUserClass names. */
    readonly modulePath: string | null,
    readonly entitlements: OSDictionary,
    personalities: OSDictionary,
  ) {
    for (const [name, dict] of personalities) {
      if (!(dict instanceof OSDictionary)) throw new IOReturnError(kIOReturnBadArgument, `${directory}: IOKitPersonalities.${name} is not a dictionary`);
      this.personalities.push(new IOPersonality(name, dict, this));
    }
  }

  /**
   * The SHA3-256 of the main module (kIOPropertySHA3256Key), read once, or null for a bundle with no
   * module: what the host publishes on the services it starts from this bundle.
   */
  codeHash(): OSData | null {
    if (this.#codeHash === undefined) this.#codeHash = this.modulePath && existsSync(this.modulePath) ? IOPropertyHash(readFileSync(this.modulePath), kIOPropertySHA3256Key) : null;
    return this.#codeHash;
  }

  /** Loads the driver package in `directory`; errors name the file and what is wrong. */
  static load(directory: string): IODriverBundle {
    const dir = resolve(directory);
    const pkgPath = join(dir, 'package.json');
    let pkg: PackageJson = {};
    if (existsSync(pkgPath)) {
      try {
        pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as PackageJson;
      } catch (e) {
        throw new IOReturnError(kIOReturnBadArgument, `${pkgPath} is not valid JSON: ${(e as Error).message}`, { cause: e });
      }
    }
    const dk = pkg.driverkit ?? {};
    const infoPath = join(dir, 'Info.plist');
    const info = existsSync(infoPath) ? readPropertyListFile(infoPath) : null;
    if (info && !(info instanceof OSDictionary)) throw new IOReturnError(kIOReturnBadArgument, `${infoPath}: the top level is not a dictionary`);

    const literal = (info?.getObject('CFBundleIdentifier') as OSString | null)?.getCStringNoCopy();
    const productName = (pkg.name ?? basename(dir)).replace(/^@[^/]+\//, '');
    const bundleIdentifier = dk.bundleIdentifier ?? (literal && !literal.includes('$(') ? literal : null) ?? `org.driverkit.${productName}`;
    const settings: Record<string, string> = {
      PRODUCT_BUNDLE_IDENTIFIER: bundleIdentifier,
      PRODUCT_NAME: productName,
      EXECUTABLE_NAME: productName,
      PRODUCT_MODULE_NAME: productName,
      TARGET_NAME: productName,
      DEVELOPMENT_LANGUAGE: 'en',
      PRODUCT_BUNDLE_PACKAGE_TYPE: 'DEXT',
      ...dk.buildSettings,
    };

    let personalities: OSObject | null = null;
    let source = '';
    if (info?.getObject('IOKitPersonalities')) {
      personalities = expand(info.getObject('IOKitPersonalities')!, settings, infoPath);
      source = infoPath;
    } else if (dk.IOKitPersonalities) {
      personalities = expand(toOSObject(dk.IOKitPersonalities as OSValue), settings, pkgPath);
      source = pkgPath;
    }
    if (!personalities) throw new IOReturnError(kIOReturnNotFound, `${dir}: no IOKitPersonalities (in Info.plist, or package.json "driverkit")`);
    if (!(personalities instanceof OSDictionary)) throw new IOReturnError(kIOReturnBadArgument, `${source}: IOKitPersonalities is not a dictionary`);

    const entitlements = loadEntitlements(dir, dk.entitlements, settings);
    const main = dk.main ?? pkg.main ?? null;
    return new IODriverBundle(dir, bundleIdentifier, main ? join(dir, main) : null, entitlements, personalities);
  }

  /** The entitlement `name`, or null. */
  entitlement(name: string): OSObject | null {
    return this.entitlements.getObject(name);
  }
}

function loadEntitlements(dir: string, declared: Record<string, OSValue> | string | undefined, settings: Record<string, string>): OSDictionary {
  let path: string | null = null;
  if (typeof declared === 'string') path = join(dir, declared);
  else if (declared) return expand(toOSObject(declared as OSValue), settings, join(dir, 'package.json')) as OSDictionary;
  else {
    const files = readdirSync(dir).filter((f) => f.endsWith('.entitlements'));
    if (files.length > 1) throw new IOReturnError(kIOReturnBadArgument, `${dir}: several .entitlements files (${files.join(', ')}); name one in package.json "driverkit.entitlements"`);
    if (files.length === 1) path = join(dir, files[0]!);
  }
  if (!path) return OSDictionary.withCapacity(0);
  const e = readPropertyListFile(path);
  if (!(e instanceof OSDictionary)) throw new IOReturnError(kIOReturnBadArgument, `${path}: the top level is not a dictionary`);
  return expand(e, settings, path) as OSDictionary;
}

/** Fills in Xcode build settings (`$(NAME)`) in every string; an unknown one is an error naming it. */
function expand(o: OSObject, settings: Record<string, string>, file: string): OSObject {
  if (o instanceof OSString) {
    const s = o.getCStringNoCopy();
    if (!s.includes('$(')) return o;
    return OSString.withCString(
      s.replace(/\$\(([A-Za-z0-9_]+)(?::[^)]*)?\)/g, (_, name: string) => {
        const v = settings[name];
        if (v === undefined) throw new IOReturnError(kIOReturnBadArgument, `${file} uses the build setting $(${name}), which is not defined; set it in package.json "driverkit.buildSettings"`);
        return v;
      }),
    );
  }
  if (o instanceof OSDictionary) {
    const d = OSDictionary.withCapacity(o.getCount());
    for (const [k, v] of o) d.setObject(k, expand(v, settings, file));
    return d;
  }
  if (o instanceof OSArray) {
    const a = OSArray.withCapacity(o.getCount());
    for (let i = 0; i < o.getCount(); i++) a.setObject(expand(o.getObject(i)!, settings, file));
    return a;
  }
  return o;
}
