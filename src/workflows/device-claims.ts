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

interface JobClaim {
  keys: Set<string>;
  until: number;
}

export class DeviceClaims {
  /** device key → job holding it */
  private readonly holders = new Map<string, string>();
  private readonly jobs = new Map<string, JobClaim>();

  constructor(snapshot?: DeviceClaimsSnapshot) {
    for (const { jobId, keys, until } of snapshot?.jobs ?? []) {
      const claim = this.jobClaim(jobId, until);
      for (const key of keys) {
        if (this.holders.has(key)) continue; // a snapshot never holds a key twice; tolerate it rather than throw
        this.holders.set(key, jobId);
        claim.keys.add(key);
      }
      if (claim.keys.size === 0) this.jobs.delete(jobId);
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
    let claim: JobClaim | undefined;
    keys.forEach((key, position) => {
      const holder = this.holders.get(key);
      if (holder !== undefined && holder !== jobId) {
        taken.push({ position, jobId: holder });
        return;
      }
      claim ??= this.jobClaim(jobId, until);
      this.holders.set(key, jobId);
      claim.keys.add(key);
    });
    // Even when nothing was granted, a job that already holds keys gets its claim extended.
    const existing = this.jobs.get(jobId);
    if (existing) existing.until = Math.max(existing.until, until);
    return { taken };
  }

  /** Frees the given keys of `jobId` (all of them when `keys` is omitted); other jobs' keys are left alone. */
  release({ jobId, keys }: ReleaseDevicesRequest, now: number): ReleaseDevicesResponse {
    this.prune(now);
    const claim = this.jobs.get(jobId);
    if (!claim) return { released: 0 };
    let released = 0;
    for (const key of keys ?? [...claim.keys]) {
      if (!claim.keys.delete(key)) continue;
      this.holders.delete(key);
      released++;
    }
    if (claim.keys.size === 0) this.jobs.delete(jobId);
    return { released };
  }

  /** Drops every claim whose `until` is at or before `now`; returns how many devices were freed. */
  prune(now: number): number {
    let freed = 0;
    for (const [jobId, claim] of this.jobs) {
      if (claim.until > now) continue;
      for (const key of claim.keys) this.holders.delete(key);
      freed += claim.keys.size;
      this.jobs.delete(jobId);
    }
    return freed;
  }

  /** Live claims as of `now` (expired ones are left out even before they are pruned). */
  summary(now: number): DeviceClaimsSummary {
    const jobs = [...this.jobs]
      .filter(([, claim]) => claim.until > now)
      .map(([jobId, claim]) => ({ jobId, devices: claim.keys.size, until: claim.until }));
    return { jobs, total: jobs.reduce((sum, job) => sum + job.devices, 0) };
  }

  snapshot(): DeviceClaimsSnapshot {
    return { jobs: [...this.jobs].map(([jobId, claim]) => ({ jobId, keys: [...claim.keys], until: claim.until })) };
  }

  private jobClaim(jobId: string, until: number): JobClaim {
    let claim = this.jobs.get(jobId);
    if (!claim) {
      claim = { keys: new Set(), until };
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
