// Helpers the family's tests share: waiting on a condition, never on a fixed delay.

/** Resolves with `f()`'s first truthy value; fails after `ms` naming what it waited for. */
export async function until<T>(f: () => T | undefined | null | false, ms = 5000, what = 'the condition'): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`${what} was not reached within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
