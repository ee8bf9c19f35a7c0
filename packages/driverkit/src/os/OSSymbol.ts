import { OSString } from './OSString';

// One OSSymbol per string while anyone holds it. Weak references keep the table from growing without
// bound when hostile input names millions of distinct keys: unreferenced symbols are collected and
// their entries removed.
const pool = new Map<string, WeakRef<OSSymbol>>();
const reaper = new FinalizationRegistry<string>((key) => {
  const ref = pool.get(key);
  if (ref && ref.deref() === undefined) pool.delete(key);
});

/**
 * Mirrors `OSSymbol`: an interned string, so two symbols with the same characters are the same object
 * and compare by identity. Dictionary keys are symbols. Symbols are never freed by `release()`.
 */
export class OSSymbol extends OSString {
  private constructor(value: string) {
    super(value);
    this.markImmortal();
  }

  /** Mirrors `OSSymbol::withCString`: the one symbol for `value`, created on first use. */
  static override withCString(value: string): OSSymbol {
    const existing = pool.get(value)?.deref();
    if (existing) return existing;
    if (typeof value !== 'string') throw new TypeError(`OSSymbol.withCString expects a string, got ${typeof value}`);
    const symbol = new OSSymbol(value);
    pool.set(value, new WeakRef(symbol));
    reaper.register(symbol, value);
    return symbol;
  }

  /** Mirrors `OSSymbol::withString`. */
  static override withString(other: OSString): OSSymbol {
    return OSSymbol.withCString(other.getCStringNoCopy());
  }

  /** Mirrors `OSSymbol::existingSymbolForCString`: the symbol if one exists, without creating it. */
  static existingSymbolForCString(value: string): OSSymbol | null {
    return pool.get(value)?.deref() ?? null;
  }
}
