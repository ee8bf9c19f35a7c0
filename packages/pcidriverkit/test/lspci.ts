// The ground truth the decode is checked against: Debian's lspci (pciutils, installed by setup), its
// `-vvv -nn` text parsed into the fields both sides know, and our decode put in the same shape.
import { execFileSync } from 'node:child_process';
import { capabilityName, type PCIConfigDecode } from '../src/index';

export interface LspciRegion {
  index: number;
  space: 'memory' | 'io';
  address: bigint | null;
  is64: boolean | null;
  prefetchable: boolean | null;
  size: string | null;
}

/** The fields of one function that lspci prints and our decode also gives. */
export interface LspciView {
  bdf: string;
  vendorID: number;
  deviceID: number;
  classCode16: number;
  revision: number | null;
  progIf: number | null;
  subsystem: [number, number] | null;
  control: Record<string, boolean>;
  status: Record<string, boolean | string>;
  pin: string | null;
  regions: LspciRegion[];
  capabilities: Array<{ offset: number; extended: boolean; version: number | null; text: string }>;
}

/** Runs lspci with these arguments (plus `-vvv -nn`), its stderr dropped (it warns about libkmod). */
export function lspci(args: string[]): string {
  return execFileSync('lspci', [...args, '-vvv', '-nn'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
}

const HEADER = /^((?:[0-9a-f]{4}:)?[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]) .*?\[([0-9a-f]{4})\]: .*?\[([0-9a-f]{4}):([0-9a-f]{4})\](?: \(rev ([0-9a-f]{2})\))?(?: \(prog-if ([0-9a-f]{2})(?: \[[^\]]*\])?\))?$/;
const flags = (text: string) => Object.fromEntries([...text.matchAll(/(\S+?)([+-])(?=\s|$)/g)].map((m) => [m[1]!, m[2] === '+']));

export function parseLspci(text: string): LspciView[] {
  const out: LspciView[] = [];
  let f: LspciView | null = null;
  for (const line of text.split('\n')) {
    const head = HEADER.exec(line);
    if (head) {
      f = {
        bdf: head[1]!,
        classCode16: parseInt(head[2]!, 16),
        vendorID: parseInt(head[3]!, 16),
        deviceID: parseInt(head[4]!, 16),
        revision: head[5] ? parseInt(head[5], 16) : null,
        progIf: head[6] ? parseInt(head[6], 16) : null,
        subsystem: null,
        control: {},
        status: {},
        pin: null,
        regions: [],
        capabilities: [],
      };
      out.push(f);
      continue;
    }
    if (!f || !line.startsWith('\t') || line.startsWith('\t\t')) continue;
    const body = line.slice(1);
    let m: RegExpExecArray | null;
    if ((m = /^Subsystem: .*\[([0-9a-f]{4}):([0-9a-f]{4})\]$/.exec(body))) f.subsystem = [parseInt(m[1]!, 16), parseInt(m[2]!, 16)];
    else if (body.startsWith('Control: ')) f.control = flags(body.slice(9));
    else if (body.startsWith('Status: ')) f.status = { ...flags(body.slice(8)), DEVSEL: /DEVSEL=(\w+)/.exec(body)?.[1] ?? '' };
    else if ((m = /^Interrupt: pin (\S)/.exec(body))) f.pin = m[1]!;
    else if ((m = /^Region (\d): (Memory|I\/O ports) at (\S+)(?: \((32|64)-bit, (non-)?prefetchable\))?.*?(?:\[size=(\w+)\])?$/.exec(body))) {
      f.regions.push({ index: Number(m[1]), space: m[2] === 'Memory' ? 'memory' : 'io', address: /^[0-9a-f]+$/.test(m[3]!) ? BigInt(`0x${m[3]}`) : null, is64: m[4] ? m[4] === '64' : null, prefetchable: m[4] ? !m[5] : null, size: m[6] ?? null });
    } else if ((m = /^Capabilities: \[([0-9a-f]+)(?: v(\d+))?\] (.*)$/.exec(body))) {
      f.capabilities.push({ offset: parseInt(m[1]!, 16), extended: parseInt(m[1]!, 16) >= 0x100, version: m[2] ? Number(m[2]) : null, text: m[3]! });
    }
  }
  return out;
}

/** lspci's size notation: bytes, or K/M/G while the size divides evenly. */
export function lspciSize(size: bigint): string {
  const units = ['', 'K', 'M', 'G', 'T'];
  let u = 0;
  while (size >= 1024n && size % 1024n === 0n && u < units.length - 1) {
    size /= 1024n;
    u++;
  }
  return `${size}${units[u]}`;
}

const controlBits = ['I/O', 'Mem', 'BusMaster', 'SpecCycle', 'MemWINV', 'VGASnoop', 'ParErr', 'Stepping', 'SERR', 'FastB2B', 'DisINTx'];
const statusBits: Array<[string, number]> = [['INTx', 3], ['Cap', 4], ['66MHz', 5], ['UDF', 6], ['FastB2B', 7], ['ParErr', 8], ['>TAbort', 11], ['<TAbort', 12], ['<MAbort', 13], ['>SERR', 14], ['<PERR', 15]];
const expressTypes: Record<number, string> = { 0: 'Endpoint', 1: 'Legacy Endpoint', 4: 'Root Port', 5: 'Upstream Port', 6: 'Downstream Port', 7: 'PCI-Express to PCI/PCI-X Bridge', 8: 'PCI/PCI-X to PCI-Express Bridge', 9: 'Root Complex Integrated Endpoint', 10: 'Root Complex Event Collector' };

/**
 * Every field lspci printed for `l`, as our decode `d` gives it: a list of `field: lspci vs ours`
 * disagreements (empty when they agree).
 */
export function compareWithLspci(l: LspciView, d: PCIConfigDecode): string[] {
  const diffs: string[] = [];
  const eq = (field: string, theirs: unknown, ours: unknown) => {
    if (String(theirs) !== String(ours)) diffs.push(`${l.bdf} ${field}: lspci ${String(theirs)}, ours ${String(ours)}`);
  };
  eq('vendor', l.vendorID, d.vendorID);
  eq('device', l.deviceID, d.deviceID);
  eq('class', l.classCode16, d.classCode >> 8);
  eq('revision', l.revision ?? 0, d.revisionID);
  if (l.progIf !== null) eq('prog-if', l.progIf, d.classCode & 0xff);
  if (l.subsystem) eq('subsystem', l.subsystem.join(':'), `${d.subsystemVendorID}:${d.subsystemID}`);
  controlBits.forEach((name, bit) => eq(`Control ${name}`, l.control[name], ((d.command >> bit) & 1) === 1));
  for (const [name, bit] of statusBits) eq(`Status ${name}`, l.status[name], ((d.status >> bit) & 1) === 1);
  eq('Status DEVSEL', l.status.DEVSEL, ['fast', 'medium', 'slow', '??'][(d.status >> 9) & 3]);
  if (l.pin) eq('interrupt pin', l.pin, d.interruptPin ? String.fromCharCode(64 + d.interruptPin) : '?');
  // lspci prints the upper half of a 64-bit BAR as a region of its own when its bits are not zero
  // (a dump of a BAR above 4 GiB): that half belongs to the BAR below it.
  const regions = l.regions.filter((r) => !d.bars.some((b) => b.is64 && b.index === r.index - 1));
  eq('regions', regions.map((r) => r.index).join(','), d.bars.map((b) => b.index).join(','));
  for (const r of regions) {
    const b = d.bars.find((x) => x.index === r.index);
    if (!b) continue;
    eq(`region ${r.index} space`, r.space, b.space);
    if (r.address !== null) eq(`region ${r.index} address`, r.address.toString(16), b.address.toString(16));
    if (r.is64 !== null) eq(`region ${r.index} 64-bit`, r.is64, b.is64);
    if (r.prefetchable !== null) eq(`region ${r.index} prefetchable`, r.prefetchable, b.prefetchable);
    if (r.size !== null) eq(`region ${r.index} size`, r.size, b.size === undefined ? 'unknown' : lspciSize(b.size));
  }
  eq('capabilities', l.capabilities.map((c) => c.offset.toString(16)).join(','), d.capabilities.map((c) => c.offset.toString(16)).join(','));
  for (const c of l.capabilities) {
    const ours = d.capabilities.find((x) => x.offset === c.offset);
    if (!ours) continue;
    const name = capabilityName(ours);
    if (name === null) diffs.push(`${l.bdf} capability [${c.offset.toString(16)}]: lspci names it "${c.text}", ours has no name for ID 0x${ours.id.toString(16)}`);
    else if (!c.text.startsWith(name)) diffs.push(`${l.bdf} capability [${c.offset.toString(16)}]: lspci "${c.text}", ours "${name}"`);
    if (c.extended) eq(`capability [${c.offset.toString(16)}] version`, c.version, ours.version);
    if (!ours.extended && ours.id === 0x05 && d.msi) eq(`MSI [${c.offset.toString(16)}]`, c.text, `MSI: Enable${d.msi.enabled ? '+' : '-'} Count=${d.msi.vectorsEnabled}/${d.msi.vectorsCapable} Maskable${d.msi.maskable ? '+' : '-'} 64bit${d.msi.is64 ? '+' : '-'}`);
    if (!ours.extended && ours.id === 0x11 && d.msix) eq(`MSI-X [${c.offset.toString(16)}]`, c.text, `MSI-X: Enable${d.msix.enabled ? '+' : '-'} Count=${d.msix.tableSize} Masked${d.msix.functionMask ? '+' : '-'}`);
    if (!ours.extended && ours.id === 0x01) eq(`PM [${c.offset.toString(16)}]`, c.text, `Power Management version ${d.powerManagementVersion}`);
    if (!ours.extended && ours.id === 0x10 && d.express) eq(`Express [${c.offset.toString(16)}]`, /^Express \(v\d+\) [^,(]*[^,( ]/.exec(c.text)?.[0], `Express (v${d.express.version}) ${expressTypes[d.express.type] ?? `Unknown type ${d.express.type}`}`);
  }
  return diffs;
}
