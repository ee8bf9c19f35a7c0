import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { IOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnBadArgument, kIOReturnExclusiveAccess } from '../IOReturn/IOReturn';
import { toOSObject } from '../os/OSValue';
import { OSSerializeXML } from '../plist/OSPropertyList';
import type { DriverTemplate } from './DriverTemplate';
import { clientSource, gitignoreSource, indexSource, testSource, tsconfigSource, userClientSource } from './scaffoldFiles';

/** What a scaffold is made of. */
export interface DriverScaffoldOptions {
  /** The driver's class name (IOUserClass), also its folder's and package's name. */
  name: string;
  /** The bundle identifier (IOUserServerName); reverse DNS. */
  bundleIdentifier: string;
  /** The core's version, for the dependency range. */
  coreVersion: string;
}

/** Versions the scaffold's build needs; npm takes the newest within each. */
const devDependencies = { typescript: '^5.9.0', '@types/node': '^20.19.0' };

/**
 * A driver package as `driverkit new` writes it: Info.plist and .entitlements as an Apple project has
 * them, the family's driver class, a user client and a client app, and a test on the virtual bench;
 * built with tsc, tested with node's test runner.
 */
export class DriverScaffold {
  constructor(
    readonly options: DriverScaffoldOptions,
    readonly template: DriverTemplate,
  ) {
    DriverScaffold.check(options.name, options.bundleIdentifier);
  }

  /** Refuses a name that is no class name and a bundle identifier that is not reverse DNS. */
  static check(name: string, bundleIdentifier: string): void {
    if (!/^[A-Za-z][A-Za-z0-9_]{0,62}$/.test(name)) throw new IOReturnError(kIOReturnBadArgument, `"${name}" is not a class name (a letter, then letters, digits or _, at most 63)`);
    if (!/^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/.test(bundleIdentifier)) throw new IOReturnError(kIOReturnBadArgument, `"${bundleIdentifier}" is not a bundle identifier (reverse DNS, such as com.example.${name})`);
  }

  /** Whether `directory` can take a scaffold: it does not exist, or is empty. */
  static isFree(directory: string): boolean {
    return !existsSync(directory) || readdirSync(directory).length === 0;
  }

  /** The npm package name: the class name in kebab case. */
  get packageName(): string {
    return this.options.name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').replace(/_/g, '-').toLowerCase();
  }

  /** Every file, by path within the package. */
  files(): Map<string, string> {
    const { name, bundleIdentifier, coreVersion } = this.options;
    const t = this.template.manifest;
    const files = new Map<string, string>();
    const pkg = {
      name: this.packageName,
      version: '0.1.0',
      private: true,
      description: t.description.replaceAll('__NAME__', name),
      type: 'module',
      main: 'dist/src/index.js',
      scripts: {
        build: 'tsc -p .',
        start: 'tsc -p . && driverkit run .',
        test: `tsc -p . && node --test dist/test/${name}.test.js`,
      },
      driverkit: { bundleIdentifier, ...(t.virtualBench ? { virtualBench: t.virtualBench } : {}) },
      dependencies: { '@driverkit/driverkit': `^${coreVersion}`, ...(this.template.packageName === '@driverkit/driverkit' ? {} : { [this.template.packageName]: `^${this.template.version}` }) },
      devDependencies,
    };
    files.set('package.json', `${JSON.stringify(pkg, null, 2)}\n`);
    // Apple's Info.plist keys, with the build settings the host fills in from package.json.
    const personality = {
      CFBundleIdentifier: '$(PRODUCT_BUNDLE_IDENTIFIER)',
      IOClass: 'IOUserService',
      ...(JSON.parse(JSON.stringify(t.personality).replaceAll('__NAME__', name)) as Record<string, unknown>),
      IOUserClass: name,
      IOUserServerName: '$(PRODUCT_BUNDLE_IDENTIFIER)',
      UserClientProperties: { IOClass: 'IOUserUserClient', IOUserClass: `${name}UserClient` },
    };
    const info = {
      CFBundleDevelopmentRegion: '$(DEVELOPMENT_LANGUAGE)',
      CFBundleExecutable: '$(EXECUTABLE_NAME)',
      CFBundleIdentifier: '$(PRODUCT_BUNDLE_IDENTIFIER)',
      CFBundleInfoDictionaryVersion: '6.0',
      CFBundleName: '$(PRODUCT_NAME)',
      CFBundlePackageType: '$(PRODUCT_BUNDLE_PACKAGE_TYPE)',
      CFBundleShortVersionString: '0.1.0',
      CFBundleVersion: '1',
      IOKitPersonalities: { [name]: personality },
      OSBundleUsageDescription: pkg.description,
    };
    files.set('Info.plist', OSSerializeXML(toOSObject(info)));
    files.set(
      `${name}.entitlements`,
      OSSerializeXML(toOSObject({ 'com.apple.developer.driverkit': true, ...t.entitlements, 'com.apple.developer.driverkit.allow-any-userclient-access': true })),
    );
    for (const [destination, source] of Object.entries(t.files)) files.set(destination.replaceAll('__NAME__', name), this.template.text(source, name));
    files.set(`src/${name}UserClient.ts`, userClientSource.replaceAll('__NAME__', name));
    files.set('src/index.ts', indexSource.replaceAll('__NAME__', name));
    files.set('src/client.ts', clientSource.replaceAll('__NAME__', name));
    files.set(`test/${name}.test.ts`, testSource(t.expect).replaceAll('__NAME__', name));
    files.set('tsconfig.json', tsconfigSource);
    files.set('.gitignore', gitignoreSource);
    files.set(
      'README.md',
      `# ${name}\n\n${pkg.description}\n\nScaffolded by \`driverkit new\` on ${this.template.packageName}'s virtual bench.\n\n` +
        '```sh\nnpm test                      # build, then run the driver on the virtual bench with its client app\n' +
        'npm start                     # the host with this driver (Ctrl-C stops)\n' +
        'node dist/src/client.js       # in another terminal: the client app\n' +
        'npx driverkit ioreg -l        # the registry, with the driver and its properties\n```\n\n' +
        `The personality is in Info.plist, the entitlements in ${name}.entitlements; the driver is src/${name}.ts.\n`,
    );
    return files;
  }

  /**
   * Writes the package into `directory`, which must not exist or be empty; `prepared` says the caller
   * checked that before putting something there itself (the family, installed to read its template).
   */
  write(directory: string, prepared = false): string[] {
    if (!prepared && !DriverScaffold.isFree(directory)) throw new IOReturnError(kIOReturnExclusiveAccess, `${directory} exists and is not empty`);
    const written: string[] = [];
    for (const [path, text] of this.files()) {
      const file = join(directory, path);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, text);
      written.push(path);
    }
    return written;
  }
}
