// The US keyboard layout for the sample's bench and client: which key usage (page 7) types which
// character, unshifted and shifted. Not part of Apple's sample; the system's keymap does this on macOS.

const rows: Array<[number, string, string]> = [
  [0x1e, '1234567890', '!@#$%^&*()'],
  [0x2c, ' -=[]\\', ' _+{}|'],
  [0x33, ";'`,./", ':"~<>?'],
];

/** Usage → [unshifted, shifted] character. */
export const usKeys = new Map<number, [string, string]>();
for (let i = 0; i < 26; i++) usKeys.set(0x04 + i, [String.fromCharCode(97 + i), String.fromCharCode(65 + i)]);
for (const [first, plain, shifted] of rows) [...plain].forEach((c, i) => usKeys.set(first + i, [c, shifted[i]!]));
usKeys.set(0x28, ['\n', '\n']);
usKeys.set(0x2b, ['\t', '\t']);

export const kUsageBackspace = 0x2a;
export const kModifierUsages = { leftControl: 0xe0, leftShift: 0xe1, leftAlt: 0xe2, leftGUI: 0xe3, rightControl: 0xe4, rightShift: 0xe5, rightAlt: 0xe6, rightGUI: 0xe7 };

/** The usage and shift state that type `c`, or null. */
export function keyFor(c: string): { usage: number; shift: boolean } | null {
  for (const [usage, [plain, shifted]] of usKeys) {
    if (plain === c) return { usage, shift: false };
    if (shifted === c) return { usage, shift: true };
  }
  return null;
}

/** Turns key-down and key-up events into the text they type: shift selects, control/alt/GUI chords type nothing. */
export class USTypist {
  text = '';
  readonly #held = new Set<number>();

  key(usage: number, down: boolean): void {
    if (!down) {
      this.#held.delete(usage);
      return;
    }
    this.#held.add(usage);
    const m = kModifierUsages;
    const chord = [m.leftControl, m.rightControl, m.leftAlt, m.rightAlt, m.leftGUI, m.rightGUI].some((u) => this.#held.has(u));
    if (chord) return;
    if (usage === kUsageBackspace) this.text = this.text.slice(0, -1);
    const chars = usKeys.get(usage);
    if (chars) this.text += chars[this.#held.has(m.leftShift) || this.#held.has(m.rightShift) ? 1 : 0];
  }
}
