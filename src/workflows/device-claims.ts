/**
 * Which job of an account holds which device: the state of the `accountDevices` coordinator, kept apart from the
 * workflow so it is unit-tested without Temporal (the samples-typescript safe-message-handlers shape). A job claims
 * the devices it is about to submit; a device held by another job whose claim has not expired is not granted, so
 * two jobs naming the same device never both submit it. Pure and deterministic (workflow code imports it): time is
 * always passed in, and Map/Set iterate in insertion order.
 */

/** Device keys per update: keeps an update's arguments and result far below Temporal's 2 MB payload limit. */
export const MAX_KEYS_PER_UPDATE = 5_000;

export interface ClaimDevicesRequest {
  jobId: string;
  /** Canonical device keys (`deviceKey(deviceIds)`), e.g. `imei:350000000000001`. */
  keys: string[];
  /** Epoch ms after which the claim lapses by itself (a job that died without releasing does not block forever). */
  until: number;
}

/** The keys not granted: `position` indexes into the request's `keys`, `jobId` is the job that holds the device. */
export interface ClaimDevicesResponse {
  taken: { position: number; jobId: string }[];
}

export interface ReleaseDevicesRequest {
  jobId: string;
  /** The keys to free; all of the job's keys when omitted. Keys the job does not hold are ignored. */
  keys?: string[] | undefined;
}

export interface ReleaseDevicesResponse {
  released: number;
}

export interface DeviceClaimsSummary {
  jobs: { jobId: string; devices: number; until: number }[];
  total: number;
}

/** What a run hands to the next one on continue-as-new: per job its keys once, not one entry per device. */
export interface DeviceClaimsSnapshot {
  jobs: { jobId: string; keys: string[]; until: number }[];
}

/**
 * One job's claim. Its keys are a plain array (a pointer a key, where a Set cost about four times that): a key the job
 * released stays in it until the whole claim goes, and `holders` says which keys the job still holds. A million held
 * devices are a million entries here, in the coordinator's memory, for as long as their requests run.
 */
interface JobClaim {
  jobId: string;
  keys: string[];
  /** How many of `keys` the job still holds. */
  held: number;
  until: number;
}

export class DeviceClaims {
  /** device key → the claim holding it */
  private readonly holders = new Map<string, JobClaim>();
  private readonly jobs = new Map<string, JobClaim>();

  constructor(snapshot?: DeviceClaimsSnapshot) {
    for (const { jobId, keys, until } of snapshot?.jobs ?? []) {
      const claim = this.jobClaim(jobId, until);
      // A snapshot never holds a key twice; tolerate it rather than throw.
      for (const key of keys) if (!this.holders.has(key)) this.hold(claim, key);
      if (claim.held === 0) this.jobs.delete(jobId);
    }
  }

  get total(): number {
    return this.holders.size;
  }

  /**
   * Grants every key not held by another live job; the caller's own keys are granted again (idempotent, so a
   * retried activity gets the same answer) and its `until` moves to the later of the two. Expired claims are
   * dropped first, so their devices go to whoever asks next.
   */
  claim({ jobId, keys, until }: ClaimDevicesRequest, now: number): ClaimDevicesResponse {
    this.prune(now);
    const taken: ClaimDevicesResponse['taken'] = [];
    let claim = this.jobs.get(jobId);
    for (let position = 0; position < keys.length; position++) {
      const key = keys[position]!;
      const holder = this.holders.get(key);
      if (holder === undefined) {
        claim ??= this.jobClaim(jobId, until);
        this.hold(claim, key);
      } else if (holder.jobId !== jobId) {
        taken.push({ position, jobId: holder.jobId });
      }
    }
    // Even when nothing was granted, a job that already holds keys gets its claim extended.
    if (claim) claim.until = Math.max(claim.until, until);
    return { taken };
  }

  /** Frees the given keys of `jobId` (all of them when `keys` is omitted); other jobs' keys are left alone. */
  release({ jobId, keys }: ReleaseDevicesRequest, now: number): ReleaseDevicesResponse {
    this.prune(now);
    const claim = this.jobs.get(jobId);
    if (!claim) return { released: 0 };
    let released = 0;
    for (const key of keys ?? claim.keys) {
      if (this.holders.get(key) !== claim) continue;
      this.holders.delete(key);
      released++;
    }
    claim.held -= released;
    if (claim.held === 0) this.jobs.delete(jobId);
    return { released };
  }

  /** Drops every claim whose `until` is at or before `now`; returns how many devices were freed. */
  prune(now: number): number {
    let freed = 0;
    for (const [jobId, claim] of this.jobs) {
      if (claim.until > now) continue;
      for (const key of claim.keys) if (this.holders.get(key) === claim) this.holders.delete(key);
      freed += claim.held;
      this.jobs.delete(jobId);
    }
    return freed;
  }

  /** Live claims as of `now` (expired ones are left out even before they are pruned). */
  summary(now: number): DeviceClaimsSummary {
    const jobs = [...this.jobs.values()]
      .filter((claim) => claim.until > now)
      .map((claim) => ({ jobId: claim.jobId, devices: claim.held, until: claim.until }));
    return { jobs, total: jobs.reduce((sum, job) => sum + job.devices, 0) };
  }

  snapshot(): DeviceClaimsSnapshot {
    return {
      jobs: [...this.jobs.values()].map((claim) => ({
        jobId: claim.jobId,
        keys: claim.keys.filter((key) => this.holders.get(key) === claim),
        until: claim.until,
      })),
    };
  }

  private hold(claim: JobClaim, key: string): void {
    this.holders.set(key, claim);
    claim.keys.push(key);
    claim.held++;
  }

  private jobClaim(jobId: string, until: number): JobClaim {
    let claim = this.jobs.get(jobId);
    if (!claim) {
      claim = { jobId, keys: [], held: 0, until };
      this.jobs.set(jobId, claim);
    }
    return claim;
  }
}

/**
 * Checks an update's arguments before the workflow accepts it (workflow code cannot use zod). Returns the first
 * broken rule, naming the field, or undefined when the request is valid.
 */
export function claimRequestProblem(input: unknown, now: number): string | undefined {
  const base = jobAndKeysProblem(input, false);
  if (base) return base;
  const { until } = input as { until?: unknown };
  if (typeof until !== 'number' || !Number.isFinite(until)) return 'until must be a finite number (epoch milliseconds)';
  if (until <= now) return `until must be later than the coordinator's current time (${new Date(now).toISOString()})`;
  return undefined;
}

export function releaseRequestProblem(input: unknown): string | undefined {
  return jobAndKeysProblem(input, true);
}

function jobAndKeysProblem(input: unknown, keysOptional: boolean): string | undefined {
  if (typeof input !== 'object' || input === null) return 'the request must be an object';
  const { jobId, keys } = input as { jobId?: unknown; keys?: unknown };
  if (typeof jobId !== 'string' || jobId.trim() === '') return 'jobId must be a non-empty string';
  if (keys === undefined && keysOptional) return undefined;
  if (!Array.isArray(keys)) return 'keys must be an array of device keys';
  if (keys.length > MAX_KEYS_PER_UPDATE) return `keys must hold at most ${MAX_KEYS_PER_UPDATE} entries per update`;
  const bad = keys.findIndex((key) => typeof key !== 'string' || key === '');
  if (bad >= 0) return `keys[${bad}] must be a non-empty string`;
  return undefined;
}
