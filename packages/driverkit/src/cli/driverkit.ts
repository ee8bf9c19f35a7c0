import { isIOReturnError } from '../IOReturn/IOReturnError';
import { demo } from './commands/demo';
import { explore } from './commands/explore';
import { ioreg } from './commands/ioreg';
import { list } from './commands/list';
import { match } from './commands/match';
import { newDriver } from './commands/new';
import { plist } from './commands/plist';
import { report } from './commands/report';
import { run } from './commands/run';

const USAGE = `usage: driverkit <command> [arguments]

commands:
  run [pkg…]        start the driver host with these driver packages and the installed families;
                    prints what matched and started, then follows services (Ctrl-C stops)
  ioreg [-l] [-c C] [-n N] [-r] [--json]
                    print the running host's registry as macOS ioreg does
  match --explain <entry>
                    say why each personality did or did not match a registry entry
  list              the devices the running host discovered
  explore           the running host's registry, drivers, refusals and call rates as a live web page
  report [-n N] [--json]
                    what the running host's services report (IOReporter counters, states, histograms)
  demo              build a registry-like OSDictionary, serialize it as XNU's OSSerializeBinary,
                    decode it again and print it as ioreg would
  plist <file>      read an XML property list (Info.plist, .entitlements) and print it as ioreg would
  new <Name> --family <usb|hid|pci|…>
                    scaffold a driver package (Info.plist, .entitlements, driver, user client,
                    client app, and a test on the virtual bench that passes as generated)
  help              this text
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'run':
      return run(rest);
    case 'ioreg':
      return ioreg(rest);
    case 'match':
      return match(rest);
    case 'list':
      return list(rest);
    case 'explore':
      return explore(rest);
    case 'report':
      return report(rest);
    case 'demo':
      return demo(rest);
    case 'plist':
      return plist(rest);
    case 'new':
      return newDriver(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return command === undefined ? 1 : 0;
    default:
      process.stderr.write(`driverkit: unknown command "${command}"\n\n${USAGE}`);
      return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`driverkit: ${isIOReturnError(e) ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);
