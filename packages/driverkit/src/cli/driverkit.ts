import { isIOReturnError } from '../IOReturn/IOReturnError';
import { demo } from './commands/demo';
import { plist } from './commands/plist';

const USAGE = `usage: driverkit <command> [arguments]

commands:
  demo              build a registry-like OSDictionary, serialize it as XNU's OSSerializeBinary,
                    decode it again and print it as ioreg would
  plist <file>      read an XML property list (Info.plist, .entitlements) and print it as ioreg would
  help              this text
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'demo':
      return demo(rest);
    case 'plist':
      return plist(rest);
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
