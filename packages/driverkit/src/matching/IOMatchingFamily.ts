import type { OSDictionary } from '../os/OSDictionary';
import type { IOService } from '../service/IOService';

/** One key's verdict, for `driverkit match --explain`. */
export interface IOMatchCheck {
  key: string;
  passed: boolean;
  detail: string;
}

/** What a family's `matchPropertyTable` says of a table. */
export interface IOFamilyMatchResult {
  matched: boolean;
  /** The score after the family's adjustment (it starts as the personality's IOProbeScore). */
  score: number;
  checks: IOMatchCheck[];
}

/**
 * The seam through which a family adds its own matching keys and scores (USB's QA1076 ladder, PCI's
 * IOPCIMatch masks, HID usage pairs), as a family's `matchPropertyTable` override does in IOKit.
 * A family registers it with the host; it applies to providers whose class is, or inherits from, one
 * of {@link providerClasses}.
 */
export interface IOMatchingFamily {
  /** For messages: "USB", "PCI", "HID". */
  readonly name: string;
  readonly providerClasses: readonly string[];
  /**
   * Mirrors `matchPropertyTable(table, &score)`: checks the family's keys of `table` against
   * `provider` and adjusts `score`. Keys it does not know are left to the generic engine.
   */
  matchPropertyTable(provider: IOService, table: OSDictionary, score: number): IOFamilyMatchResult;
}
