/** Flags, values and positional arguments, as the `driverkit` commands take them. */
export interface ParsedArgs {
  flags: Record<string, boolean>;
  values: Record<string, string | string[]>;
  positional: string[];
}

/**
 * Parses `--flag`, `--name value` (repeatable: an array), single-letter flags (`-l`, `-r`) and
 * single-letter options (`-c Class`). Unknown options are an error naming them.
 */
export function parseArgs(argv: string[], spec: { boolean?: string[]; string?: string[]; repeatable?: string[] }): ParsedArgs {
  const out: ParsedArgs = { flags: {}, values: {}, positional: [] };
  const booleans = new Set(spec.boolean ?? []);
  const strings = new Set(spec.string ?? []);
  const repeatable = new Set(spec.repeatable ?? ['family']);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('-') || a === '-') {
      out.positional.push(a);
      continue;
    }
    const name = a.replace(/^--?/, '');
    if (booleans.has(name)) out.flags[name] = true;
    else if (strings.has(name)) {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      if (repeatable.has(name)) out.values[name] = [...((out.values[name] as string[] | undefined) ?? []), v];
      else out.values[name] = v;
    } else throw new Error(`unknown option ${a}`);
  }
  return out;
}
