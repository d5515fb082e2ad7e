import type { SimContext } from './context.js';
import { chance } from './rng.js';

/** Names given to the /api routes so that faults can target one of them. */
export type RouteName = 'token' | 'login' | 'logout' | 'list' | 'activate' | 'history' | 'status' | 'callbacks';

export type FaultKind = '5xx' | '429' | 'ambiguous-500' | 'ambiguous-drop';

export interface ScheduledFault {
  kind: FaultKind;
  /** Only calls to this route consume the fault; any route when absent. */
  route?: RouteName;
  /** How many calls it affects. */
  count: number;
  /** Status for '5xx' (default: faults.error5xxStatus). */
  status?: number;
  /**
   * Ambiguous kinds only: smaller activate requests pass untouched and do not consume the fault (default:
   * faults.ambiguousMinDevices).
   */
  minDevices?: number;
}

export type RefusalDecision = { kind: 'none' } | { kind: '5xx'; status: number } | { kind: '429'; retryAfter: number };
export type AmbiguousDecision = 'none' | 'http500' | 'drop';

/**
 * Decides which calls fail. Rates come from the config; scheduled faults ("the next 2 activate calls answer 500
 * after processing") make tests deterministic.
 */
export class FaultInjector {
  private scheduled: ScheduledFault[] = [];

  constructor(private readonly ctx: SimContext) {}

  schedule(fault: ScheduledFault): void {
    if (fault.count > 0) this.scheduled.push({ ...fault });
  }

  clear(): void {
    this.scheduled = [];
  }

  pending(): readonly ScheduledFault[] {
    return this.scheduled;
  }

  /** Refusals happen before processing: the request had no effect. */
  refusal(route: RouteName): RefusalDecision {
    const faults = this.ctx.config.faults;
    const scheduled = this.take(route, (k) => k === '5xx' || k === '429');
    if (scheduled?.kind === '5xx') return { kind: '5xx', status: scheduled.status ?? faults.error5xxStatus };
    if (scheduled?.kind === '429') return { kind: '429', retryAfter: faults.retryAfterSeconds };
    if (chance(this.ctx.random, faults.error5xxRate)) return { kind: '5xx', status: faults.error5xxStatus };
    if (chance(this.ctx.random, faults.error429Rate)) return { kind: '429', retryAfter: faults.retryAfterSeconds };
    return { kind: 'none' };
  }

  /**
   * Ambiguous failures happen after processing: the caller sees an error although the request took effect. Only
   * requests of at least `minDevices` (per fault, else faults.ambiguousMinDevices) devices are hit.
   */
  ambiguous(route: RouteName, devices: number): AmbiguousDecision {
    const { ambiguousMode, ambiguousRate, ambiguousMinDevices } = this.ctx.config.faults;
    const scheduled = this.take(
      route,
      (k) => k === 'ambiguous-500' || k === 'ambiguous-drop',
      (f) => devices >= (f.minDevices ?? ambiguousMinDevices),
    );
    if (scheduled) return scheduled.kind === 'ambiguous-500' ? 'http500' : 'drop';
    if (route !== 'activate' || ambiguousMode === 'off' || devices < ambiguousMinDevices) return 'none';
    return chance(this.ctx.random, ambiguousRate) ? ambiguousMode : 'none';
  }

  private take(
    route: RouteName,
    kinds: (k: FaultKind) => boolean,
    applies: (f: ScheduledFault) => boolean = () => true,
  ): ScheduledFault | undefined {
    const index = this.scheduled.findIndex(
      (f) => kinds(f.kind) && (f.route === undefined || f.route === route) && applies(f),
    );
    if (index < 0) return undefined;
    const fault = this.scheduled[index] as ScheduledFault;
    fault.count--;
    if (fault.count <= 0) this.scheduled.splice(index, 1);
    return fault;
  }
}
