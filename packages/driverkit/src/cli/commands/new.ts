import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { IOReturnError } from '../../IOReturn/IOReturnError';
import { kIOReturnError, kIOReturnExclusiveAccess, kIOReturnNotFound } from '../../IOReturn/IOReturn';
import { DriverScaffold } from '../../scaffold/DriverScaffold';
import { DriverTemplate } from '../../scaffold/DriverTemplate';
import { parseArgs } from '../parseArgs';

const USAGE = `usage: driverkit new <Name> --family <family> [--dir <path>] [--bundle-id <id>] [--no-install]

Scaffolds a driver package: Info.plist with the family's personality for its virtual device,
.entitlements, the driver class in Apple's shape, a user client, a client app, and a test that runs
the driver on the virtual bench. Its \`npm test\` passes as generated.

  <family>          usb, hid, pci, …: the package @driverkit/<family>driverkit (net is
                    @driverkit/networkingdriverkit), or any package name that offers a template
  --dir <path>      where to write it (default ./<Name>; must not exist, or be empty)
  --bundle-id <id>  its bundle identifier (default com.example.<Name>)
  --no-install      write the files only; the family is then the one installed where this runs
`;

/** The family's package: `usb` is @driverkit/usbdriverkit; a scoped name is taken as it is. */
function familyPackage(family: string): string {
  if (family.startsWith('@')) return family;
  return `@driverkit/${family === 'net' ? 'networking' : family}driverkit`;
}

function npm(args: string[], cwd: string): void {
  const r = spawnSync('npm', args, { cwd, stdio: 'inherit' });
  if (r.status !== 0) throw new IOReturnError(kIOReturnError, `npm ${args.join(' ')} failed in ${cwd} (exit ${r.status ?? r.signal}; npm's output is above)`);
}

/** `driverkit new`: scaffolds a driver package from its family's template. */
export function newDriver(argv: string[]): number {
  const args = parseArgs(argv, { boolean: ['no-install', 'help'], string: ['family', 'dir', 'bundle-id'], repeatable: [] });
  const [name] = args.positional;
  const family = args.values.family as string | undefined;
  if (args.flags.help || !name || !family || args.positional.length > 1) {
    (args.flags.help ? process.stdout : process.stderr).write(USAGE);
    return args.flags.help ? 0 : 1;
  }
  const install = !args.flags['no-install'];
  const core = JSON.parse(readFileSync(createRequire(import.meta.url).resolve('@driverkit/driverkit/package.json'), 'utf8')) as { version: string };
  const directory = resolve((args.values.dir as string | undefined) ?? name);
  const packageName = familyPackage(family);
  const bundleIdentifier = (args.values['bundle-id'] as string | undefined) ?? `com.example.${name}`;
  // Refused before anything is written or installed.
  DriverScaffold.check(name, bundleIdentifier);
  if (!DriverScaffold.isFree(directory)) throw new IOReturnError(kIOReturnExclusiveAccess, `${directory} exists and is not empty`);

  // What this command made goes again if it fails half-way: no half-made package is left behind.
  const existed = existsSync(directory);
  let template: DriverTemplate;
  let written: string[];
  try {
    let familyDirectory: string;
    if (install) {
      // The family comes from the registry into the new package, and its template with it.
      mkdirSync(directory, { recursive: true });
      writeFileSync(join(directory, 'package.json'), '{ "private": true }\n');
      process.stdout.write(`driverkit new: installing ${packageName}…\n`);
      npm(['install', '--no-audit', '--no-fund', '--loglevel=error', `@driverkit/driverkit@^${core.version}`, ...(packageName === '@driverkit/driverkit' ? [] : [packageName])], directory);
      familyDirectory = join(directory, 'node_modules', packageName);
      // The scaffold writes the real manifest; npm installs from it below.
      rmSync(join(directory, 'package.json'));
      rmSync(join(directory, 'package-lock.json'), { force: true });
    } else {
      try {
        familyDirectory = dirname(createRequire(join(process.cwd(), 'index.js')).resolve(`${packageName}/package.json`));
      } catch {
        throw new IOReturnError(kIOReturnNotFound, `${packageName} is not installed in ${process.cwd()} (install it, or leave out --no-install)`);
      }
    }
    template = DriverTemplate.fromPackage(familyDirectory);
    const scaffold = new DriverScaffold({ name, bundleIdentifier, coreVersion: core.version }, template);
    written = scaffold.write(directory, install);
    if (install) npm(['install', '--no-audit', '--no-fund', '--loglevel=error'], directory);
  } catch (e) {
    if (existed) for (const f of readdirSync(directory)) rmSync(join(directory, f), { recursive: true, force: true });
    else rmSync(directory, { recursive: true, force: true });
    throw e;
  }
  const where = relative(process.cwd(), directory) || '.';
  process.stdout.write(
    `driverkit new: ${name}, ${template.manifest.description.replaceAll('__NAME__', name)}, in ${where}:\n` +
      written.map((f) => `  ${f}\n`).join('') +
      `\nNext:\n  cd ${where}\n${install ? '' : '  npm install\n'}  npm test      # ${name} on ${template.packageName}'s virtual bench, with its client app\n  npm start     # the host with ${name}; in another terminal: node dist/src/client.js\n`,
  );
  return 0;
}
