import { randomUUID } from 'node:crypto';
import type { ActivateRequest, CarrierServiceCallback, NiddServiceCallback } from '../thingspace/schemas/index.js';
import type { SimContext } from './context.js';
import type { CallbackDelivery, CallbackMessage } from './delivery.js';
import type { DeviceStore } from './devices.js';
import { DueQueue } from './due-queue.js';
import { ipAddress, lineNumbers, type LineNumbers } from './identifiers.js';
import { idOfKind, type HistoryEntry, type SimDevice } from './model.js';
import type { DeviceId } from '../thingspace/schemas/device-key.js';
import { chance, shuffle } from './rng.js';

/** An outcome with every choice made, fixed when the request is accepted so that a run is reproducible. */
interface ResolvedOutcome {
  activation: 'success' | 'failure';
  reason: string;
  nidd: 'success' | 'failure';
  niddReason: string;
  dropCallback: boolean;
  dropNiddCallback: boolean;
  duplicate: boolean;
}

export type DeviceResult = 'Pending' | 'Success' | 'Failed';

export interface PlannedDevice {
  /** As the request named the device; undefined when exactly the device's own (kept for the run: a million arrays). */
  submittedIds: DeviceId[] | undefined;
  ipAddress: string | undefined;
  device: SimDevice;
  /** The identifiers named two different devices; the request fails for this entry. */
  conflict: boolean;
  outcome: ResolvedOutcome;
  result: DeviceResult;
  failureReason: string | null;
  /** What a successful activation gave the device, for its callback (built later, when it is sent). */
  activated?: { numbers: LineNumbers; ipAddress: string };
}

export interface ActivationRequest {
  requestId: string;
  accountName: string;
  username: string;
  servicePlan: string;
  createdAt: string;
  devices: PlannedDevice[];
  pending: number;
}

const DEFAULT_FAILURE = 'Device is not eligible for activation';
const DEFAULT_NIDD_FAILURE = 'Not CatM or NBIoT Device';

/** Filled in per send by the delivery: the listener's credentials and the send counters. */
type PerSendFields = 'username' | 'password' | 'callbackCount' | 'maxCallbackThreshold';
type CarrierPayload = Omit<CarrierServiceCallback, PerSendFields>;
type NiddPayload = Omit<NiddServiceCallback, PerSendFields>;

const upperKinds = (ids: readonly DeviceId[]) => ids.map((d) => ({ id: d.id, kind: d.kind.toUpperCase() }));

const lowerKinds = (ids: readonly DeviceId[]) => ids.map((d) => ({ id: d.id, kind: d.kind.toLowerCase() }));

/** Whether a request named exactly the device's own identifiers, in order (a request's kinds come lower-cased). */
const namesOwnIds = (named: readonly DeviceId[], own: readonly DeviceId[]) =>
  named.length === own.length && named.every((d, i) => d.id === own[i]?.id && d.kind === own[i]?.kind.toLowerCase());

/** The identifiers the request named for this device, exactly as spelled there. */
export const submittedIdsOf = (p: PlannedDevice): DeviceId[] => p.submittedIds ?? lowerKinds(p.device.deviceIds);

/** Accepts activate requests, changes device states after the configured delay and queues their callbacks. */
export class ActivationService {
  private readonly requests = new Map<string, ActivationRequest>();
  /** Groups of devices of one request that complete at the same moment, behind a single timer. */
  private readonly due: DueQueue<{ request: ActivationRequest; planned: PlannedDevice[] }>;
  private pendingDevices = 0;
  private readonly unscripted: (Readonly<ResolvedOutcome> | undefined)[] = [];
  private readonly idleWaiters: (() => void)[] = [];

  constructor(
    private readonly ctx: SimContext,
    private readonly store: DeviceStore,
    private readonly delivery: CallbackDelivery,
  ) {
    this.due = new DueQueue(ctx.scheduler, (groups) => {
      for (const { request, planned } of groups) this.complete(request, planned);
    });
  }

  /** Records the request and every device's submission now; state changes and callbacks follow asynchronously. */
  submit(accountName: string, username: string, body: ActivateRequest): ActivationRequest {
    const request: ActivationRequest = {
      requestId: randomUUID(),
      accountName,
      username,
      servicePlan: body.servicePlan,
      createdAt: new Date(this.ctx.now()).toISOString(),
      devices: [],
      pending: body.devices.length,
    };
    for (const entry of body.devices) {
      const found = this.store.find(entry.deviceIds);
      // A device MDM has never seen still gets a record so that its submissions are counted and it can later be
      // listed as deactive (ThingSpace "may add them to the ThingSpace list as deactivated").
      const device =
        found[0] ??
        this.store.add({ accountName, deviceIds: entry.deviceIds, state: 'deactive', inAccount: false }, true);
      const conflict = found.length > 1;
      for (const d of found.length > 0 ? found : [device]) {
        d.submissions++;
        // concat makes an array of exact length: push onto an empty one reserves 17 slots, 150 bytes a device.
        d.requestIds = d.requestIds.concat(request.requestId);
      }
      device.inFlight++;
      request.devices.push({
        submittedIds: namesOwnIds(entry.deviceIds, device.deviceIds) ? undefined : entry.deviceIds,
        ipAddress: entry.ipAddress,
        device,
        conflict,
        outcome: this.resolveOutcome(device),
        result: 'Pending',
        failureReason: null,
      });
    }
    this.requests.set(request.requestId, request);
    this.schedule(request);
    return request;
  }

  get(requestId: string): ActivationRequest | undefined {
    return this.requests.get(requestId);
  }

  get pending(): number {
    return this.pendingDevices;
  }

  whenIdle(): Promise<void> {
    if (this.pendingDevices === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  close(): void {
    this.due.clear();
    this.pendingDevices = 0;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private resolveOutcome(device: SimDevice): ResolvedOutcome {
    const scripted = device.outcome ?? {};
    const { outcomes } = this.ctx.config;
    const random = this.ctx.random;
    const activation = scripted.activation ?? (chance(random, outcomes.failureRate) ? 'failure' : 'success');
    const nidd = scripted.nidd ?? (chance(random, outcomes.niddFailureRate) ? 'failure' : 'success');
    const drop = chance(random, outcomes.dropRate);
    const duplicate = scripted.duplicateCallback ?? chance(random, outcomes.duplicateRate);
    if (device.outcome === undefined) {
      // Unscripted outcomes are one of 16: shared, not one object per device (a million of them at a million).
      const slot =
        (activation === 'failure' ? 1 : 0) | (nidd === 'failure' ? 2 : 0) | (drop ? 4 : 0) | (duplicate ? 8 : 0);
      return (this.unscripted[slot] ??= Object.freeze({
        activation,
        reason: DEFAULT_FAILURE,
        nidd,
        niddReason: DEFAULT_NIDD_FAILURE,
        dropCallback: drop,
        dropNiddCallback: drop,
        duplicate,
      }));
    }
    return {
      activation,
      reason: scripted.reason ?? DEFAULT_FAILURE,
      nidd,
      niddReason: scripted.niddReason ?? DEFAULT_NIDD_FAILURE,
      dropCallback: scripted.dropCallback ?? drop,
      dropNiddCallback: scripted.dropNiddCallback ?? drop,
      duplicate,
    };
  }

  /**
   * Devices of a request with the same due time form one group; every group waits in one queue behind one timer, so
   * 10,000 devices completing over six hours cost one timer whatever the jitter.
   */
  private schedule(request: ActivationRequest): void {
    const { activationDelayMs, activationJitterMs, activationStepMs } = this.ctx.config;
    const groups = new Map<number, PlannedDevice[]>();
    for (const planned of request.devices) {
      const exact =
        activationDelayMs + (activationJitterMs > 0 ? Math.floor(this.ctx.random() * activationJitterMs) : 0);
      const due = activationStepMs > 0 ? Math.ceil(exact / activationStepMs) * activationStepMs : exact;
      const group = groups.get(due);
      if (group) group.push(planned);
      else groups.set(due, [planned]);
    }
    this.pendingDevices += request.devices.length;
    for (const [due, planned] of groups) this.due.add(due, { request, planned });
  }

  private complete(request: ActivationRequest, planned: PlannedDevice[]): void {
    const messages: { message: CallbackMessage; drop: boolean; duplicate: boolean }[] = [];
    const nidd: typeof messages = [];
    const { callbackDelayMs, niddDelayMs } = this.ctx.config;
    // With a NIDD delay, the NiddService callbacks form their own later batch, after every carrier result.
    const niddMessages = niddDelayMs > 0 ? nidd : messages;
    for (const p of planned) {
      this.apply(request, p);
      const drop = p.outcome.dropCallback;
      messages.push({ message: this.carrierMessage(request, p), drop, duplicate: p.outcome.duplicate });
      if (p.device.type === 'NB-IoT') {
        const niddDrop = p.outcome.dropNiddCallback;
        niddMessages.push({ message: this.niddMessage(request, p), drop: niddDrop, duplicate: p.outcome.duplicate });
      }
    }
    for (const [batch, delayMs] of [
      [messages, callbackDelayMs],
      [nidd, callbackDelayMs + niddDelayMs],
    ] as const) {
      if (batch.length === 0) continue;
      if (this.ctx.config.outcomes.reorder) shuffle(this.ctx.random, batch);
      this.delivery.enqueue(batch, delayMs);
    }
    request.pending -= planned.length;
    this.pendingDevices -= planned.length;
    if (this.pendingDevices === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private failureReason(request: ActivationRequest, p: PlannedDevice): string | null {
    const { device } = p;
    if (p.conflict) return 'The device identifiers belong to different devices';
    if (device.unknown) return 'Device does not exist in MDM';
    if (device.accountName !== request.accountName) return 'Device belongs to another account';
    if (device.state === 'active') return 'Device is already active';
    if (device.state === 'suspend') return 'Device is suspended';
    return p.outcome.activation === 'failure' ? p.outcome.reason : null;
  }

  private apply(request: ActivationRequest, p: PlannedDevice): void {
    const { device } = p;
    device.inFlight--;
    const occurredAt = new Date(this.ctx.now()).toISOString();
    const reason = this.failureReason(request, p);
    const history: HistoryEntry = {
      occurredAt,
      status: reason === null ? 'Success' : 'Failed',
      eventBy: request.username,
      eventType: 'Activate',
      mdn: '',
      msisdn: '',
      servicePlan: request.servicePlan,
      extendedAttributes: [{ key: 'RequestId', value: request.requestId }],
    };
    if (reason !== null) {
      p.result = 'Failed';
      p.failureReason = reason;
      history.extendedAttributes.push({ key: 'Reason', value: reason });
      if (
        !device.inAccount &&
        device.accountName === request.accountName &&
        this.ctx.config.addUnknownDevicesOnFailure
      ) {
        device.inAccount = true;
        device.state = 'deactive';
      }
    } else {
      const numbers = lineNumbers(this.ctx.random);
      Object.assign(device, numbers);
      device.state = 'active';
      device.inAccount = true;
      device.servicePlan = request.servicePlan;
      device.ipAddress = p.ipAddress ?? ipAddress(this.ctx.random);
      p.activated = { numbers, ipAddress: device.ipAddress };
      device.lastActivationDate = occurredAt;
      device.lastActivationBy = request.username;
      device.activations++;
      history.mdn = numbers.mdn;
      history.msisdn = numbers.msisdn;
      p.result = 'Success';
    }
    if (device.inAccount) device.history = device.history.concat(history);
  }

  private carrierMessage(request: ActivationRequest, p: PlannedDevice): CallbackMessage {
    return {
      service: 'CarrierService',
      accountName: request.accountName,
      internalId: p.device.internalId,
      requestId: request.requestId,
      status: p.result === 'Success' ? 'Success' : 'Failed',
      payload: () => this.carrierPayload(request, p),
    };
  }

  /** Built when the callback is sent, from what this activation gave the device (kept in `p.activated`). */
  private carrierPayload(request: ActivationRequest, p: PlannedDevice): CarrierPayload {
    const { device, activated } = p;
    const base = { requestId: request.requestId, deviceIds: upperKinds(submittedIdsOf(p)) };
    const payload: CarrierPayload =
      p.result === 'Success' && activated
        ? {
            ...base,
            deviceResponse: {
              activateResponse: {
                deviceIds: [
                  { id: activated.numbers.mdn, kind: 'mdn' },
                  { id: activated.numbers.imsi, kind: 'imsi' },
                  { id: idOfKind(device.deviceIds, 'iccid') ?? '', kind: 'iccId' },
                  { id: activated.numbers.msisdn, kind: 'msisdn' },
                  { id: activated.numbers.min, kind: 'min' },
                ],
                ipAddress: activated.ipAddress,
                state: 'Active',
                servicePlan: request.servicePlan,
                featureCodes: [],
                deviceCredential: {
                  username: `${activated.numbers.mdn}@vzw3g.com`,
                  password: activated.numbers.mdn,
                },
              },
            },
            status: 'Success',
          }
        : {
            ...base,
            deviceResponse: { activateResponse: { deviceIds: base.deviceIds, state: 'Deactive' } },
            status: 'Failed',
            reason: p.failureReason,
            faultResponse: { faultcode: 'REQUEST_FAILED.ActivationFailed', faultstring: p.failureReason },
          };
    return payload;
  }

  /** NB-IoT devices whose activation failed get ConfigFailed, so a listener is never left waiting for NIDD. */
  private niddMessage(request: ActivationRequest, p: PlannedDevice): CallbackMessage {
    const created = p.result === 'Success' && p.outcome.nidd === 'success';
    return {
      service: 'NiddService',
      accountName: request.accountName,
      internalId: p.device.internalId,
      requestId: request.requestId,
      status: created ? 'ConfigCreated' : 'ConfigFailed',
      payload: () => this.niddPayload(request, p),
    };
  }

  private niddPayload(request: ActivationRequest, p: PlannedDevice): NiddPayload {
    const { device } = p;
    const created = p.result === 'Success' && p.outcome.nidd === 'success';
    const reason = p.result === 'Success' ? p.outcome.niddReason : 'Device activation failed';
    const deviceIds = upperKinds(device.deviceIds.filter((d) => /^(eid|imei)$/i.test(d.kind)));
    const payload: NiddPayload = {
      requestId: request.requestId,
      niddResponse: {
        niddConfigResponse: created
          ? { accountName: request.accountName, deviceIds }
          : { accountName: request.accountName, reason, deviceIds },
      },
      status: created ? 'ConfigCreated' : 'ConfigFailed',
    };
    return payload;
  }
}
