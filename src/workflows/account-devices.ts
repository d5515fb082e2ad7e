/**
 * One coordinator per ThingSpace account, ID `thingspace-devices-<accountName>`: jobs claim the devices they are
 * about to submit and release them when done, so two jobs naming the same device never both submit it. A thin
 * shell over `DeviceClaims`; the workflow serializes updates (each handler runs to completion without awaiting),
 * so two jobs racing for a key cannot both be granted it.
 *
 * Started by the first claim (update-with-start, see src/activities/device-claims.ts). When no claim remains it
 * stays open and idle: it costs nothing while waiting (no timer, no history), and staying open avoids the window in
 * which an update reaches a run that is completing and fails. It continues as new when Temporal suggests it or its
 * history passes `historyLimit` events, carrying the live claims.
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  defineQuery,
  defineUpdate,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import {
  claimRequestProblem,
  DeviceClaims,
  releaseRequestProblem,
  type ClaimDevicesRequest,
  type ClaimDevicesResponse,
  type DeviceClaimsSnapshot,
  type DeviceClaimsSummary,
  type ReleaseDevicesRequest,
  type ReleaseDevicesResponse,
} from './device-claims.js';

export const claimDevicesUpdate = defineUpdate<ClaimDevicesResponse, [ClaimDevicesRequest]>('claimDevices');
export const releaseDevicesUpdate = defineUpdate<ReleaseDevicesResponse, [ReleaseDevicesRequest]>('releaseDevices');
export const deviceClaimsQuery = defineQuery<DeviceClaimsSummary>('deviceClaims');

/**
 * Events per run before continuing as new. An update costs 2 events plus 3 for its workflow task; a 5,000-key
 * claim is about 130 KB of history, so `continueAsNewSuggested` (history size) usually comes first for big jobs.
 */
export const DEFAULT_CLAIMS_HISTORY_LIMIT = 2_000;

export interface AccountDevicesInput {
  accountName: string;
  /** Tests lower it to see a continue-as-new. */
  historyLimit?: number | undefined;
  /** Set by the previous run on continue-as-new. */
  carried?: DeviceClaimsSnapshot | undefined;
}

/**
 * `thingspace-devices-<accountName>`. The suffix is for tests only: test files share one dev server and reuse
 * account names and device numbers against their own simulators, so each test worker gets its own coordinators.
 */
export function accountDevicesWorkflowId(accountName: string, suffix?: string): string {
  return `thingspace-devices-${accountName}${suffix ? `.${suffix}` : ''}`;
}

const invalid = (message: string) =>
  ApplicationFailure.create({ type: 'InvalidClaimRequest', message, nonRetryable: true });

export async function accountDevices(input: AccountDevicesInput): Promise<void> {
  const claims = new DeviceClaims(input.carried);

  // Date.now() is workflow time here: the same on replay, so pruning is deterministic.
  setHandler(claimDevicesUpdate, (request) => claims.claim(request, Date.now()), {
    validator: (request) => {
      const problem = claimRequestProblem(request, Date.now());
      if (problem) throw invalid(`claimDevices: ${problem}`);
    },
  });
  setHandler(releaseDevicesUpdate, (request) => claims.release(request, Date.now()), {
    validator: (request) => {
      const problem = releaseRequestProblem(request);
      if (problem) throw invalid(`releaseDevices: ${problem}`);
    },
  });
  setHandler(deviceClaimsQuery, () => claims.summary(Date.now()));

  const historyLimit = input.historyLimit ?? DEFAULT_CLAIMS_HISTORY_LIMIT;
  await condition(() => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= historyLimit);
  // Handlers are synchronous, so this is immediate today; it keeps continue-as-new safe if one ever awaits.
  await condition(allHandlersFinished);
  claims.prune(Date.now());
  await continueAsNew<typeof accountDevices>({
    accountName: input.accountName,
    ...(input.historyLimit !== undefined && { historyLimit: input.historyLimit }),
    carried: claims.snapshot(),
  });
}
