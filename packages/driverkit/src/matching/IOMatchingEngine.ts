import { OSArray } from '../os/OSArray';
import { OSBoolean } from '../os/OSBoolean';
import { OSDictionary } from '../os/OSDictionary';
import type { OSObject } from '../os/OSObject';
import { OSSet } from '../os/OSSet';
import { OSString } from '../os/OSString';
import type { IORegistryEntry } from '../registry/IORegistryEntry';
import type { IOService } from '../service/IOService';
import type { IOFamilyMatchResult, IOMatchCheck, IOMatchingFamily } from './IOMatchingFamily';
import type { IOPersonality } from './IOPersonality';

/** Mirrors `kIOServiceDEXTEntitlementsKey`: on a provider, what a driver must hold to match it. */
export const kIOServiceDEXTEntitlementsKey = 'IOServiceDEXTEntitlements';

/** One personality judged against one provider. */
export interface IOMatchCandidate {
  personality: IOPersonality;
  matched: boolean;
  score: number;
  category: string;
  checks: IOMatchCheck[];
}

/** What matching needs beyond the provider: the families and the published resources. */
export interface IOMatchingContext {
  families: readonly IOMatchingFamily[];
  /** True when a resource of this name is published on IOResources. */
  hasResource(name: string): boolean;
}

function describe(o: OSObject | null): string {
  if (o === null) return 'absent';
  if (o instanceof OSString) return JSON.stringify(o.getCStringNoCopy());
  return String(o);
}

function strings(o: OSObject | null): string[] | null {
  if (o instanceof OSString) return [o.getCStringNoCopy()];
  if (o instanceof OSArray || o instanceof OSSet) {
    const out: string[] = [];
    for (const x of o as unknown as Iterable<OSObject>) if (x instanceof OSString) out.push(x.getCStringNoCopy());
    return out;
  }
  return null;
}

function members(o: OSObject): OSObject[] {
  if (o instanceof OSArray || o instanceof OSSet) return [...(o as unknown as Iterable<OSObject>)];
  return [o];
}

/** IOPropertyMatch's test: every key of `table` is on `entry` with an equal value. */
function subsetEqual(entry: IORegistryEntry, table: OSDictionary): { ok: boolean; why: string } {
  for (const [k, v] of table) {
    const have = entry.getProperty(k);
    if (!have) return { ok: false, why: `${k} is absent` };
    if (!have.isEqualTo(v)) return { ok: false, why: `${k} is ${describe(have)}, wanted ${describe(v)}` };
  }
  return { ok: true, why: [...table.keys()].join(', ') };
}

/** The families whose provider classes `provider` is, or inherits from. */
export function familiesFor(provider: IOService, families: readonly IOMatchingFamily[]): IOMatchingFamily[] {
  const chain = provider.classHierarchy();
  return families.filter((f) => f.providerClasses.some((c) => chain.includes(c)));
}

/**
 * IOService::matchInternal's generic keys of `table` against `provider`, in IOKit's order
 * (IOProviderClass, IONameMatch, IOLocationMatch, IOPropertyMatch, IOPropertyExistsMatch,
 * IOParentMatch, IOResourceMatch), each verdict appended to `checks`. Keys the table lacks are not
 * checked, except IOProviderClass when `requireProviderClass` is set (personalities must name one).
 */
export function matchTable(table: OSDictionary, provider: IOService, hasResource: (name: string) => boolean, checks: IOMatchCheck[], requireProviderClass: boolean): void {
  const check = (key: string, passed: boolean, detail: string) => checks.push({ key, passed, detail });

  const providerClassObject = table.getObject('IOProviderClass');
  const providerClass = providerClassObject instanceof OSString ? providerClassObject.getCStringNoCopy() : null;
  const chain = provider.classHierarchy();
  if (!providerClass) {
    if (requireProviderClass) check('IOProviderClass', false, 'missing: every personality names its provider class');
  } else check('IOProviderClass', chain.includes(providerClass), chain.includes(providerClass) ? (provider.getClassName() === providerClass ? `the provider is an instance of ${providerClass}` : `${provider.getClassName()} inherits from ${providerClass}`) : `${provider.getClassName()} is not a ${providerClass} (it is ${chain.join(' → ')})`);

  const nameMatch = table.getObject('IONameMatch');
  if (nameMatch) {
    const names = strings(nameMatch) ?? [];
    const compatible = strings(provider.getProperty('compatible')) ?? [];
    const hit = names.find((n) => n === provider.getName() || compatible.includes(n));
    check('IONameMatch', hit !== undefined, hit ? `name ${JSON.stringify(hit)} matched` : `${provider.getName()} is none of ${names.map((n) => JSON.stringify(n)).join(', ')}`);
  }

  const locationMatch = table.getObject('IOLocationMatch');
  if (locationMatch instanceof OSString) {
    const ok = provider.getLocation() === locationMatch.getCStringNoCopy();
    check('IOLocationMatch', ok, `location is ${provider.getLocation() ?? 'unset'}`);
  }

  const propertyMatch = table.getObject('IOPropertyMatch');
  if (propertyMatch) {
    const tables = members(propertyMatch).filter((t): t is OSDictionary => t instanceof OSDictionary);
    const results = tables.map((t) => subsetEqual(provider, t));
    const hit = results.find((r) => r.ok);
    check('IOPropertyMatch', hit !== undefined, hit ? `has ${hit.why}` : results.map((r) => r.why).join('; ') || 'not a dictionary or array of dictionaries');
  }

  const existsMatch = table.getObject('IOPropertyExistsMatch');
  if (existsMatch) {
    const names = strings(existsMatch) ?? [];
    const hit = names.find((n) => provider.getProperty(n) !== null);
    check('IOPropertyExistsMatch', hit !== undefined, hit ? `has ${hit}` : `has none of ${names.join(', ')}`);
  }

  const parentMatch = table.getObject('IOParentMatch');
  if (parentMatch instanceof OSDictionary) {
    let hit: IORegistryEntry | null = null;
    for (let p = provider.getParentEntry(); p && !hit; p = p.getParentEntry()) if (subsetEqual(p, parentMatch).ok) hit = p;
    check('IOParentMatch', hit !== null, hit ? `provider ${hit.getName()} matches` : 'no provider above matches');
  }

  const resource = table.getObject('IOResourceMatch');
  if (resource) {
    const names = strings(resource) ?? [];
    const missing = names.filter((n) => !hasResource(n));
    check('IOResourceMatch', missing.length === 0, missing.length ? `resource ${missing.join(', ')} is not published` : `resource ${names.join(', ')} is published`);
  }
}

/**
 * Judges `personality` against `provider` in IOKit's order (IOService::matchInternal, then the
 * family's matchPropertyTable, then the entitlement gate of IOUserServer::checkEntitlements), recording
 * every key's verdict. It goes on past the first failure so an explanation shows every problem.
 */
export function matchPersonality(personality: IOPersonality, provider: IOService, context: IOMatchingContext): IOMatchCandidate {
  const table = personality.dictionary;
  const checks: IOMatchCheck[] = [];
  let score = personality.probeScore;
  matchTable(table, provider, context.hasResource, checks, true);
  const check = (key: string, passed: boolean, detail: string) => checks.push({ key, passed, detail });

  const families = familiesFor(provider, context.families);
  for (const family of families) {
    const r: IOFamilyMatchResult = family.matchPropertyTable(provider, table, score);
    checks.push(...r.checks);
    if (!r.matched && !r.checks.some((c) => !c.passed)) check(`${family.name} matching`, false, 'the family refused the personality');
    score = r.score;
  }
  if (!personality.userClass) check('IOUserClass', false, 'missing: a DriverKit personality names the class to run');

  checkEntitlements(personality, provider, families, checks);

  return { personality, matched: checks.every((c) => c.passed), score, category: personality.matchCategory, checks };
}

/**
 * Mirrors IOUserServer::checkEntitlements: the provider's IOServiceDEXTEntitlements is a string, an
 * array of strings, or an array of arrays; any top-level entry may pass, and a leaf array needs all
 * its names. The driver must hold each name; a value that is a dictionary (or an array of them) must
 * itself match the provider through its family (how transport entitlements restrict devices); a
 * boolean must be true.
 */
function checkEntitlements(personality: IOPersonality, provider: IOService, families: IOMatchingFamily[], checks: IOMatchCheck[]): void {
  const required = provider.getProperty(kIOServiceDEXTEntitlementsKey);
  if (!required) return;
  // A string is one name; an array's entries are alternatives, each a name or a list of names all needed.
  const alternatives = members(required)
    .map((e) => strings(e) ?? [])
    .filter((names) => names.length > 0);
  const refusals: string[] = [];
  for (const names of alternatives) {
    const problems = names.map((n) => entitlementProblem(personality, provider, families, n)).filter((p): p is string => p !== null);
    if (problems.length === 0) {
      checks.push({ key: kIOServiceDEXTEntitlementsKey, passed: true, detail: `holds ${names.join(' + ')}` });
      return;
    }
    refusals.push(problems.join('; '));
  }
  checks.push({ key: kIOServiceDEXTEntitlementsKey, passed: false, detail: refusals.join(' | ') || 'the provider lists no entitlement names' });
}

function entitlementProblem(personality: IOPersonality, provider: IOService, families: IOMatchingFamily[], name: string): string | null {
  const value = personality.bundle.entitlement(name);
  if (value === null) return `the driver lacks the entitlement ${name}`;
  if (value instanceof OSBoolean) return value.isTrue() ? null : `the entitlement ${name} is false`;
  const tables = members(value).filter((t): t is OSDictionary => t instanceof OSDictionary);
  if (tables.length === 0) return null;
  for (const t of tables) {
    const results = families.map((f) => f.matchPropertyTable(provider, t, 0));
    if (results.length > 0 && results.every((r) => r.matched)) return null;
    if (results.length === 0 && subsetEqual(provider, t).ok) return null;
  }
  return `the entitlement ${name} does not cover this device (none of its ${tables.length} dictionar${tables.length === 1 ? 'y matches' : 'ies match'})`;
}

/**
 * Mirrors probeCandidates' ordering: matched candidates grouped by IOMatchCategory, each group by
 * descending score; ties go to the bundle identifier, then the personality name, in code-point order,
 * so the same inputs always give the same winner.
 */
export function rankCandidates(candidates: IOMatchCandidate[]): Map<string, IOMatchCandidate[]> {
  const byCategory = new Map<string, IOMatchCandidate[]>();
  for (const c of candidates) {
    if (!c.matched) continue;
    const list = byCategory.get(c.category) ?? [];
    list.push(c);
    byCategory.set(c.category, list);
  }
  for (const list of byCategory.values()) list.sort(compareCandidates);
  return byCategory;
}

export function compareCandidates(a: IOMatchCandidate, b: IOMatchCandidate): number {
  if (a.score !== b.score) return b.score - a.score;
  const ab = a.personality.bundle.bundleIdentifier;
  const bb = b.personality.bundle.bundleIdentifier;
  if (ab !== bb) return ab < bb ? -1 : 1;
  return a.personality.name < b.personality.name ? -1 : a.personality.name > b.personality.name ? 1 : 0;
}

/** Formats candidates as `driverkit match --explain` prints them. */
export function explainCandidates(provider: IOService, candidates: IOMatchCandidate[], failures?: Map<IOPersonality, string>): string {
  const lines = [`${provider.getPath()} (${provider.getClassName()}, id 0x${provider.GetRegistryEntryID().toString(16)})`];
  const ranked = rankCandidates(candidates);
  for (const c of [...candidates].sort((a, b) => Number(b.matched) - Number(a.matched) || compareCandidates(a, b))) {
    const rank = c.matched ? ranked.get(c.category)!.indexOf(c) : -1;
    const failure = failures?.get(c.personality);
    const verdict = !c.matched ? 'no match' : rank === 0 && !failure ? `wins ${c.category}` : `matches, ranked ${rank + 1} in ${c.category}`;
    lines.push(`  ${c.personality}  score ${c.score}  ${verdict}`);
    for (const k of c.checks) lines.push(`    ${k.passed ? '✓' : '✗'} ${k.key}: ${k.detail}`);
    if (failure) lines.push(`    ! did not start: ${failure}`);
  }
  if (candidates.length === 0) lines.push('  no personalities are loaded');
  return lines.join('\n');
}
