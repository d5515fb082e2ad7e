/**
 * Every knob of the simulator. Defaults follow what ThingSpace documents (one-hour OAuth token, 20-minute idle
 * session, 100 activate requests a minute, 10,000 devices a request, 4 callback sends); delays default to values a
 * demo can watch and tests override them with milliseconds.
 */

export type AmbiguousMode = 'off' | 'http500' | 'drop';

export interface FaultConfig {
  /** Added to every /api response (ms). */
  latencyMs: number;
  /** Probability (0..1) that an /api call is refused with `error5xxStatus` before it is processed. */
  error5xxRate: number;
  error5xxStatus: number;
  /** Probability (0..1) that an /api call is refused with 429 before it is processed. */
  error429Rate: number;
  retryAfterSeconds: number;
  /** Activate only: the request is processed, then the response fails (500 or a dropped connection). */
  ambiguousMode: AmbiguousMode;
  ambiguousRate: number;
  /**
   * Ambiguous failures (by rate or scheduled) only hit activate requests naming at least this many devices: "the
   * answer to the big request was lost" while small requests go through.
   */
  ambiguousMinDevices: number;
}

export interface OutcomeMix {
  /** Probability that an activation without a scripted outcome fails. */
  failureRate: number;
  /** Probability that the NIDD config of an NB-IoT device fails. */
  niddFailureRate: number;
  /** Probability that a callback is never sent (lost by ThingSpace). */
  dropRate: number;
  /** Probability that a callback is sent twice. */
  duplicateRate: number;
  /** Shuffle callbacks of one request instead of sending them in device order. */
  reorder: boolean;
}

export interface SimulatorConfig {
  oauthTokenTtlSeconds: number;
  sessionIdleTimeoutMs: number;
  sessionMaxLifetimeMs: number;
  /** Reported as `expiresIn` in the login response; omitted when null (both shapes exist in the wild). */
  sessionExpiresInSeconds: number | null;
  maxFailedLogins: number;

  listPageSize: number;
  maxDevicesPerActivate: number;
  activateRateLimit: { max: number; windowMs: number };
  /** The throttling answer is undocumented: 429 (default) or a 400 with an errorCode. */
  rateLimitResponse: '429' | '400';
  /** The errorCode of the 400 rate-limit answer: one no client can know (not a documented activate code). */
  rateLimitErrorCode: string;
  /**
   * Real milliseconds the activate answer is held after the request was recorded and its activations scheduled, so
   * that with a short activation delay the callbacks reach the listener before the caller has its requestId.
   */
  activateResponseDelayMs: number;

  /** Time from accepting an activate request until each device's state changes (ms). */
  activationDelayMs: number;
  /** Extra jitter added per device on top of activationDelayMs (ms, uniform 0..n). */
  activationJitterMs: number;
  /**
   * Rounds each device's completion time up to a multiple of this step (ms; 0 = exact), as ThingSpace finishes work
   * in batches: the callbacks of a batch then go out concurrently instead of one device at a time.
   */
  activationStepMs: number;
  /** Time between the state change and the first callback send (ms). */
  callbackDelayMs: number;
  /**
   * Extra time before an NB-IoT device's NiddService callback (ms): the NIDD configuration is a step of its own
   * after the activation, so its result may come long after the CarrierService one, for failed devices too.
   */
  niddDelayMs: number;
  callbackRetryBackoffMs: number;
  maxCallbackThreshold: number;
  callbackConcurrency: number;
  callbackTimeoutMs: number;
  /**
   * State shown by list while a device's activation is in progress (e.g. `pending activation`). null shows the old
   * state until the change, the harder case for a caller that re-checks states after an ambiguous failure.
   */
  pendingStateName: string | null;
  /** Unknown devices that fail activation are added to the account as deactive (ThingSpace "may" do this). */
  addUnknownDevicesOnFailure: boolean;
  /** Wrap the history response in a one-element array, a shape ThingSpace sometimes returns. */
  historyWrapInArray: boolean;

  outcomes: OutcomeMix;
  faults: FaultConfig;

  /** Bearer token for /admin; when null the admin HTTP API is disabled (the in-process handle still works). */
  adminToken: string | null;
  /** Seed for the pseudo-random generator so that generated devices and random outcomes repeat. */
  randomSeed: number;
  logLevel: 'silent' | 'fatal' | 'error' | 'warn' | 'info' | 'debug';
}

export const defaultConfig: SimulatorConfig = {
  oauthTokenTtlSeconds: 3600,
  sessionIdleTimeoutMs: 20 * 60_000,
  sessionMaxLifetimeMs: 8 * 3600_000,
  sessionExpiresInSeconds: 1200,
  maxFailedLogins: 5,

  listPageSize: 500,
  maxDevicesPerActivate: 10_000,
  activateRateLimit: { max: 100, windowMs: 60_000 },
  rateLimitResponse: '429',
  rateLimitErrorCode: 'UnifiedWebService.REQUEST_FAILED.RequestLimit.Exceeded',
  activateResponseDelayMs: 0,

  activationDelayMs: 2_000,
  activationJitterMs: 0,
  activationStepMs: 0,
  callbackDelayMs: 100,
  niddDelayMs: 0,
  callbackRetryBackoffMs: 1_000,
  maxCallbackThreshold: 4,
  callbackConcurrency: 64,
  callbackTimeoutMs: 10_000,
  pendingStateName: null,
  addUnknownDevicesOnFailure: true,
  historyWrapInArray: false,

  outcomes: { failureRate: 0, niddFailureRate: 0, dropRate: 0, duplicateRate: 0, reorder: false },
  faults: {
    latencyMs: 0,
    error5xxRate: 0,
    error5xxStatus: 503,
    error429Rate: 0,
    retryAfterSeconds: 1,
    ambiguousMode: 'off',
    ambiguousRate: 1,
    ambiguousMinDevices: 1,
  },

  adminToken: null,
  randomSeed: 1,
  logLevel: 'silent',
};

/** Nested groups merge field by field so `{ faults: { latencyMs: 5 } }` keeps the other fault defaults. */
export type ConfigPatch = Partial<Omit<SimulatorConfig, 'outcomes' | 'faults' | 'activateRateLimit'>> & {
  outcomes?: Partial<OutcomeMix>;
  faults?: Partial<FaultConfig>;
  activateRateLimit?: Partial<SimulatorConfig['activateRateLimit']>;
};

export function mergeConfig(base: SimulatorConfig, patch: ConfigPatch = {}): SimulatorConfig {
  return {
    ...base,
    ...patch,
    outcomes: { ...base.outcomes, ...patch.outcomes },
    faults: { ...base.faults, ...patch.faults },
    activateRateLimit: { ...base.activateRateLimit, ...patch.activateRateLimit },
  };
}
