import { IOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnBadArgument, kIOReturnNotFound } from '../IOReturn/IOReturn';
import { mach_absolute_time } from '../dispatch/IOClock';
import type { OSValue } from '../os/OSValue';
import type { IOService } from '../service/IOService';
import { IOReporter } from './IOReporter';
import type { IOReportUnit } from './IOReportTypes';

interface StateStats {
  id: bigint;
  name: string;
  transitions: bigint;
  residency: bigint;
  lastTransition: bigint;
}

interface ChannelState {
  states: StateStats[];
  current: number;
  since: bigint;
}

/**
 * Mirrors `IOStateReporter`: per channel, which of `nstates` states it is in, and per state how many
 * times it was entered, the time spent in it (ns, counting the current stay) and when it was last
 * entered. A channel starts in its first state.
 */
export class IOStateReporter extends IOReporter {
  readonly kind = 'state';
  readonly #channels: ChannelState[] = [];

  private constructor(service: IOService, categories: number, readonly nstates: number, unit: IOReportUnit) {
    super(service, categories, unit);
  }

  /** Mirrors `IOStateReporter::with(reportingService, categories, nstates, unit)`. */
  static with(reportingService: IOService, categories: number, nstates: number, unit: IOReportUnit): IOStateReporter {
    if (!Number.isInteger(nstates) || nstates < 1 || nstates > 256) throw new IOReturnError(kIOReturnBadArgument, `IOStateReporter: nstates must be 1 to 256, got ${nstates}`);
    return new IOStateReporter(reportingService, categories, nstates, unit);
  }

  protected channelAdded(): void {
    const now = mach_absolute_time();
    this.#channels.push({ states: Array.from({ length: this.nstates }, (_, i) => ({ id: BigInt(i), name: `state ${i}`, transitions: i === 0 ? 1n : 0n, residency: 0n, lastTransition: i === 0 ? now : 0n })), current: 0, since: now });
  }

  /** Mirrors `setStateID(channel_id, state_index, state_id, name)`: names the state at `state_index`. */
  setStateID(channelID: bigint | number, stateIndex: number, stateID: bigint | number, name = ''): void {
    const c = this.#channels[this.indexOf(channelID)]!;
    const s = c.states[stateIndex];
    if (!s) throw new IOReturnError(kIOReturnBadArgument, `IOStateReporter: state index ${stateIndex} is not below ${this.nstates}`);
    s.id = BigInt(stateID);
    if (name) s.name = name;
    this.changed();
  }

  /** Mirrors `setChannelState(channel_id, new_state_id)`: a transition, timed now. */
  setChannelState(channelID: bigint | number, newStateID: bigint | number): void {
    const c = this.#channels[this.indexOf(channelID)]!;
    const next = this.#state(c, newStateID);
    const now = mach_absolute_time();
    c.states[c.current]!.residency += now - c.since;
    c.current = next;
    c.since = now;
    c.states[next]!.transitions += 1n;
    c.states[next]!.lastTransition = now;
    this.changed();
  }

  #state(c: ChannelState, stateID: bigint | number): number {
    const id = BigInt(stateID);
    const i = c.states.findIndex((s) => s.id === id);
    if (i < 0) throw new IOReturnError(kIOReturnNotFound, `IOStateReporter: no state 0x${id.toString(16)}`);
    return i;
  }

  /** Mirrors `getStateInTransitions(channel_id, state_id)`. */
  getStateInTransitions(channelID: bigint | number, stateID: bigint | number): bigint {
    const c = this.#channels[this.indexOf(channelID)]!;
    return c.states[this.#state(c, stateID)]!.transitions;
  }

  /** Mirrors `getStateResidencyTime(channel_id, state_id)`: ns, the current stay included. */
  getStateResidencyTime(channelID: bigint | number, stateID: bigint | number): bigint {
    const c = this.#channels[this.indexOf(channelID)]!;
    const i = this.#state(c, stateID);
    return c.states[i]!.residency + (i === c.current ? mach_absolute_time() - c.since : 0n);
  }

  /** Mirrors `getStateLastTransitionTime(channel_id, state_id)`: when the state was last entered (mach time). */
  getStateLastTransitionTime(channelID: bigint | number, stateID: bigint | number): bigint {
    const c = this.#channels[this.indexOf(channelID)]!;
    return c.states[this.#state(c, stateID)]!.lastTransition;
  }

  valuesForRegistry(): Record<string, OSValue> {
    const now = mach_absolute_time();
    return {
      ...this.legendForRegistry(),
      IOReportValues: this.#channels.map((c) => ({
        IOReportCurrentStateID: c.states[c.current]!.id,
        IOReportStates: c.states.map((s, i) => ({ IOReportStateID: s.id, IOReportStateName: s.name, IOReportTransitions: s.transitions, IOReportResidency: s.residency + (i === c.current ? now - c.since : 0n) })),
      })),
    };
  }
}
