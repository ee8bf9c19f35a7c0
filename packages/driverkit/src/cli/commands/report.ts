import { IOHostConnection } from '../../host/IOHostConnection';
import { OSArray } from '../../os/OSArray';
import { OSDictionary } from '../../os/OSDictionary';
import { fromOSObject, type OSValue } from '../../os/OSValue';
import { kIOReportValuesKey } from '../../report/IOReportTypes';
import { parseArgs } from '../parseArgs';

const USAGE = `usage: driverkit report [-n <name>] [--json] [--socket <path>]

Prints what the running host's services report (IOSimpleReporter, IOStateReporter, IOHistogramReporter):
each reporter's group, channels and current values.
  -n <name>   only the services with this name
  --json      the values as JSON
`;

type Values = Record<string, OSValue>;
const list = (v: OSValue | undefined): Values[] => (Array.isArray(v) ? (v as Values[]) : []);
const str = (v: OSValue | undefined) => (typeof v === 'string' ? v : String(v ?? ''));
const ms = (ns: OSValue | undefined) => `${(Number(ns ?? 0) / 1e6).toFixed(3)} ms`;

function formatReporter(r: Values): string[] {
  const lines = [`  ${str(r.IOReportGroupName)}${r.IOReportSubGroupName ? ` / ${str(r.IOReportSubGroupName)}` : ''}  [${str(r.IOReportKind)}, ${str(r.IOReportUnit)}]`];
  const channels = list(r.IOReportChannels);
  const values = list(r.IOReportValues);
  channels.forEach((c, i) => {
    const v = values[i] ?? {};
    const head = `    ${str(c.IOReportChannelName)} (0x${BigInt(c.IOReportChannelID as bigint | number).toString(16)})`;
    if (r.IOReportKind === 'simple') lines.push(`${head}  ${str(v.IOReportValue)}`);
    else if (r.IOReportKind === 'state') {
      const states = list(v.IOReportStates);
      const current = states.find((s) => BigInt(s.IOReportStateID as bigint | number) === BigInt(v.IOReportCurrentStateID as bigint | number));
      lines.push(`${head}  now ${str(current?.IOReportStateName)}`);
      for (const s of states) lines.push(`      ${str(s.IOReportStateName).padEnd(16)} entered ${str(s.IOReportTransitions)}×, ${ms(s.IOReportResidency)}`);
    } else if (r.IOReportKind === 'histogram') {
      lines.push(head);
      for (const b of list(v.IOReportBuckets)) if (Number(b.IOReportHits)) lines.push(`      [${str(b.IOReportBucketLow)}, ${str(b.IOReportBucketHigh)})  ${str(b.IOReportHits)} hits, min ${str(b.IOReportMin)}, max ${str(b.IOReportMax)}, sum ${str(b.IOReportSum)}`);
    }
  });
  return lines;
}

/** `driverkit report`: the reporters' values in the running host's registry. */
export async function report(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { boolean: ['json', 'help'], string: ['n', 'socket'] });
  if (args.flags.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const connection = await IOHostConnection.connect(args.values.socket as string | undefined);
  try {
    const tree = (await connection.ask({ op: 'registry' })).getObject('registry');
    if (!(tree instanceof OSDictionary)) throw new Error('the host sent no registry');
    const found: Array<{ name: string; className: string; reporters: Values[] }> = [];
    const walk = (d: OSDictionary) => {
      const reporters = d.getObject(kIOReportValuesKey);
      const name = fromOSObject(d.getObject('IORegistryEntryName')!) as string;
      if (reporters instanceof OSArray && (!args.values.n || args.values.n === name)) found.push({ name, className: str(fromOSObject(d.getObject('IOObjectClass')!) as OSValue), reporters: fromOSObject(reporters) as Values[] });
      const children = d.getObject('IORegistryEntryChildren');
      if (children instanceof OSArray) for (const c of children) if (c instanceof OSDictionary) walk(c);
    };
    walk(tree);
    if (args.flags.json) {
      process.stdout.write(`${JSON.stringify(found, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`);
      return 0;
    }
    if (found.length === 0) process.stdout.write(`no service${args.values.n ? ` named ${String(args.values.n)}` : ''} reports anything\n`);
    for (const s of found) process.stdout.write(`${[`${s.name} <${s.className}>`, ...s.reporters.flatMap(formatReporter)].join('\n')}\n`);
    return 0;
  } finally {
    connection.close();
  }
}
