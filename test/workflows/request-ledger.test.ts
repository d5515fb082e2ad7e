import { describe, expect, it } from '@jest/globals';
import type { CallbackRecord, ExpectedDevice } from '../../src/activation/model.js';
import { RequestLedger } from '../../src/workflows/request-ledger.js';

const device = (n: number, nbIot = false): ExpectedDevice => ({
  key: `imei:35000000000000${n}`,
  deviceIds: [
    { kind: 'imei', id: `35000000000000${n}` },
    { kind: 'iccid', id: `8914000000000000000${n}` },
  ],
  nbIot,
});

const carrier = (n: number, success = true, extra: Partial<CallbackRecord> = {}): CallbackRecord => ({
  service: 'CarrierService',
  deviceIds: [{ kind: 'IMEI', id: `35000000000000${n}` }],
  success,
  status: success ? 'Success' : 'Failed',
  assignedIds: success ? [{ kind: 'mdn', id: `50900000${n}` }] : [],
  ...extra,
});

const nidd = (n: number, success: boolean): CallbackRecord => ({
  service: 'NiddService',
  deviceIds: [
    { kind: 'EID', id: `999${n}` },
    { kind: 'Imei', id: `35000000000000${n}` },
  ],
  success,
  status: success ? 'ConfigCreated' : 'ConfigFailed',
  ...(success ? {} : { reason: 'Not CatM or NBIoT Device' }),
  assignedIds: [],
});

describe('RequestLedger', () => {
  it('matches an id shared by two devices under different kinds to the one whose kind the callback names', () => {
    const imsiTwin: ExpectedDevice = {
      key: 'imsi:350000000000001',
      deviceIds: [{ kind: 'IMSI', id: ' 350000000000001' }],
    };
    const ledger = new RequestLedger([device(1), imsiTwin]);
    ledger.apply([carrier(1, true, { deviceIds: [{ kind: 'imsi', id: '350000000000001' }] })]);
    expect(ledger.page(0, 2).map((r) => [r.key, r.outcome])).toEqual([
      ['imei:350000000000001', 'unresolved'],
      ['imsi:350000000000001', 'activated'],
    ]);
    ledger.apply([carrier(1, true, { deviceIds: [{ kind: 'iMeI ', id: '350000000000001' }] })]);
    expect(ledger.counts()).toMatchObject({ activated: 2, pending: 0 });
    // A kind that neither has: unknown, not given to either.
    expect(ledger.apply([carrier(1, true, { deviceIds: [{ kind: 'eid', id: '350000000000001' }] })])).toMatchObject({
      unknown: 1,
    });
  });

  it('keeps of a callback only what the report shows, for the next run too', () => {
    const ledger = new RequestLedger([device(1)]);
    ledger.apply([carrier(1, true, { ipAddress: '10.1.2.3', state: 'active', callbackCount: 2 })]);
    expect(ledger.snapshot()).toEqual([
      [
        'imei:350000000000001',
        expect.objectContaining({
          carrier: {
            status: 'Success',
            assignedIds: [{ kind: 'mdn', id: '509000001' }],
            ipAddress: '10.1.2.3',
            state: 'active',
          },
        }),
      ],
    ]);
    const next = new RequestLedger([device(1)], ledger.snapshot());
    expect(next.page(0, 1)).toEqual(ledger.page(0, 1));
  });

  it('settles 4G devices from their carrier callback, matching kinds case-insensitively', () => {
    const ledger = new RequestLedger([device(1), device(2)]);
    expect(ledger.apply([carrier(1), carrier(2, false, { reason: 'Invalid SIM' })])).toEqual({
      applied: 2,
      duplicates: 0,
      unknown: 0,
    });
    expect(ledger.allSettled()).toBe(true);
    const [first, second] = ledger.page(0, 10);
    expect(first).toMatchObject({ outcome: 'activated', assignedIds: [{ kind: 'mdn', id: '509000001' }] });
    expect(second).toMatchObject({ outcome: 'failed', reason: 'Invalid SIM' });
  });

  it('matches a callback by an assigned identifier (ICCID-only requests)', () => {
    const ledger = new RequestLedger([device(1)]);
    const record = carrier(1, true, {
      deviceIds: [{ kind: 'MDN', id: '5551234' }],
      assignedIds: [{ kind: 'iccId', id: '89140000000000000001' }],
    });
    expect(ledger.apply([record]).applied).toBe(1);
  });

  it('counts resends as duplicates and foreign devices as unknown, without changing outcomes', () => {
    const ledger = new RequestLedger([device(1)]);
    ledger.apply([carrier(1, false, { reason: 'first' })]);
    expect(ledger.apply([carrier(1, true), carrier(9)])).toEqual({ applied: 0, duplicates: 1, unknown: 1 });
    expect(ledger.page(0, 1)[0]).toMatchObject({ outcome: 'failed', reason: 'first' });
  });

  it('waits for the NIDD result of an NB-IoT device; the outcome follows the line, NIDD is its own column', () => {
    const ledger = new RequestLedger([device(1, true), device(2, true)]);
    ledger.apply([carrier(1), nidd(2, false)]);
    expect(ledger.counts()).toMatchObject({ pending: 2, activated: 0 });
    ledger.apply([nidd(1, true), carrier(2)]);
    expect(ledger.allSettled()).toBe(true);
    const [one, two] = ledger.page(0, 2);
    expect(one).toMatchObject({ outcome: 'activated', nidd: 'success' });
    // Line active, NIDD configuration failed: the device is active and billed, so it is `activated`, never `failed`
    // (an operator re-running the failures would activate it twice).
    expect(two).toMatchObject({ outcome: 'activated', nidd: 'failed', niddReason: 'Not CatM or NBIoT Device' });
    expect(two?.reason).toBeUndefined();
  });

  it('settles an NB-IoT device failed by its line at once, and still waits for its NIDD result, in the next run too', () => {
    const ledger = new RequestLedger([device(1, true), device(2, true), device(3)]);
    ledger.apply([carrier(1, false), carrier(2, false), carrier(3)]);
    expect(ledger.allSettled()).toBe(true);
    expect(ledger.counts()).toMatchObject({ failed: 2, activated: 1, pending: 0 });
    expect(ledger.awaitingNidd()).toBe(2);
    ledger.apply([nidd(1, false), nidd(1, false)]);
    expect(ledger.awaitingNidd()).toBe(1);

    const next = new RequestLedger([device(1, true), device(2, true), device(3)], ledger.snapshot());
    expect(next.awaitingNidd()).toBe(1);
    next.apply([nidd(2, false)]);
    expect(next.awaitingNidd()).toBe(0);
    expect(next.page(0, 2)).toEqual([
      expect.objectContaining({ outcome: 'failed', source: 'callback', nidd: 'failed' }),
      expect.objectContaining({ outcome: 'failed', source: 'callback', nidd: 'failed' }),
    ]);
  });

  it('waits for no NIDD result of a device settled by polling, nor of one whose NIDD result came first', () => {
    const ledger = new RequestLedger([device(1, true), device(2, true)]);
    ledger.apply([nidd(1, false), carrier(1, false)]);
    ledger.settleFromPoll('imei:350000000000002', { outcome: 'failed', assignedIds: [] });
    expect(ledger.allSettled()).toBe(true);
    expect(ledger.awaitingNidd()).toBe(0);
  });

  it('reports what is still open as unresolved, keeping what was heard', () => {
    const ledger = new RequestLedger([device(1, true), device(2)]);
    ledger.apply([carrier(1)]);
    ledger.closeUnresolved('timed out');
    expect(ledger.counts()).toEqual({
      total: 2,
      activated: 0,
      failed: 0,
      skipped: 0,
      unresolved: 2,
      unconfirmed: 0,
      pending: 0,
    });
    expect(ledger.page(0, 1)[0]).toMatchObject({
      outcome: 'unresolved',
      assignedIds: [{ kind: 'mdn', id: '509000001' }],
    });
    expect(ledger.failures(1)).toHaveLength(1);
  });

  it('counts devices not activated by reason and open ones by what was last heard, and lists failures first', () => {
    const ledger = new RequestLedger([1, 2, 3, 4, 5].map((n) => device(n)));
    ledger.settleFromPoll(device(1).key, { assignedIds: [], outcome: 'unresolved', reason: 'not found' });
    ledger.apply([
      carrier(2, false, { reason: 'Bad SIM' }),
      carrier(3, false),
      carrier(4),
      carrier(5, true, { status: 'Pending' }),
    ]);
    expect(ledger.notActivatedGroups()).toEqual([
      {
        outcome: 'failed',
        count: 2,
        reasons: [
          { reason: 'Bad SIM', count: 1 },
          { reason: 'CarrierService Failed', count: 1 },
        ],
      },
      { outcome: 'unresolved', count: 1, reasons: [{ reason: 'not found', count: 1 }] },
      { outcome: 'pending', count: 1, reasons: [{ reason: 'last status: Pending', count: 1 }] },
    ]);
    // Device 1 came first, but failures lead.
    expect(ledger.failures(2).map((r) => r.outcome)).toEqual(['failed', 'failed']);
    expect(ledger.failures(5).map((r) => r.outcome)).toEqual(['failed', 'failed', 'unresolved']);
    const silent = new RequestLedger([device(1)]);
    expect(silent.notActivatedGroups()).toEqual([
      { outcome: 'pending', count: 1, reasons: [{ reason: 'nothing heard yet', count: 1 }] },
    ]);
    // The report says why in the same words as the counts.
    expect(silent.page(0, 1)[0]).toMatchObject({ outcome: 'unresolved', reason: 'pending (nothing heard yet)' });
  });

  it('keeps its counts as statuses change and devices settle, and a next run restores them from its snapshot', () => {
    const ledger = new RequestLedger([device(1), device(2), device(3), device(4, true), device(5)]);
    ledger.apply([carrier(1, false, { status: 'Pending' }), carrier(2, false, { status: 'Pending' })]);
    ledger.apply([carrier(1, false, { status: 'QueuedForSomethingNew' })]);
    ledger.apply([carrier(3, false, { reason: 'Bad SIM' }), carrier(3, false, { reason: 'Bad SIM' })]);
    // An NB-IoT device whose line is active stays open until its NIDD result.
    ledger.apply([carrier(4)]);
    ledger.settleFromPoll('imei:350000000000002', { outcome: 'activated', assignedIds: [] });
    const groups = [
      { outcome: 'failed', count: 1, reasons: [{ reason: 'Bad SIM', count: 1 }] },
      {
        outcome: 'pending',
        count: 3,
        reasons: [
          { reason: 'nothing heard yet', count: 2 },
          { reason: 'last status: QueuedForSomethingNew', count: 1 },
        ],
      },
    ];
    const counts = { total: 5, activated: 1, failed: 1, pending: 3 };
    expect(ledger.notActivatedGroups()).toEqual(groups);
    expect(ledger.counts()).toMatchObject(counts);
    const next = new RequestLedger([device(1), device(2), device(3), device(4, true), device(5)], ledger.snapshot());
    expect(next.notActivatedGroups()).toEqual(groups);
    expect(next.counts()).toMatchObject(counts);
    next.apply([nidd(4, true), carrier(1, false, { reason: 'Bad SIM' })]);
    next.closeUnresolved('gone');
    expect(next.notActivatedGroups()).toEqual([
      { outcome: 'failed', count: 2, reasons: [{ reason: 'Bad SIM', count: 2 }] },
      { outcome: 'unresolved', count: 1, reasons: [{ reason: 'gone', count: 1 }] },
    ]);
    expect(next.counts()).toMatchObject({ activated: 2, failed: 2, unresolved: 1, pending: 0 });
  });

  it('settles from a poll only devices still open', () => {
    const ledger = new RequestLedger([device(1), device(2)]);
    ledger.apply([carrier(1, false, { reason: 'cb' })]);
    ledger.settleFromPoll('imei:350000000000001', { outcome: 'activated', assignedIds: [] });
    ledger.settleFromPoll('imei:350000000000002', { outcome: 'activated', assignedIds: [] });
    expect(ledger.page(0, 2).map((r) => [r.outcome, r.source])).toEqual([
      ['failed', 'callback'],
      ['activated', 'poll'],
    ]);
    expect(ledger.unsettled()).toEqual([]);
  });

  it('keeps waiting on Pending and unknown statuses; only explicit failures are final', () => {
    const ledger = new RequestLedger([device(1), device(2), device(3)]);
    const result = ledger.apply([
      carrier(1, false, { status: 'Pending' }),
      carrier(2, false, { status: 'QueuedForSomethingNew' }),
      carrier(3, false, { status: 'FAILED', reason: 'Invalid SIM' }),
    ]);
    expect(result).toEqual({ applied: 3, duplicates: 0, unknown: 0 });
    expect(ledger.counts()).toMatchObject({ failed: 1, pending: 2 });
    expect(ledger.heardAny()).toBe(true);
    expect(ledger.page(0, 1)[0]).toMatchObject({ outcome: 'unresolved', reason: 'pending (last status: Pending)' });
    ledger.apply([carrier(1), carrier(2)]);
    expect(ledger.allSettled()).toBe(true);
    expect(ledger.counts()).toMatchObject({ activated: 2, failed: 1, pending: 0 });
  });

  it('never drops a NIDD result already received when polling settles an NB-IoT device', () => {
    const ledger = new RequestLedger([device(1, true), device(2, true)]);
    ledger.apply([nidd(1, false)]);
    ledger.settleFromPoll('imei:350000000000001', { outcome: 'activated', state: 'active', assignedIds: [] });
    ledger.settleFromPoll('imei:350000000000002', { outcome: 'activated', state: 'active', assignedIds: [] });
    // A NIDD result arriving after the poll still lands in its column, and the outcome stays.
    ledger.apply([nidd(2, true)]);
    const [one, two] = ledger.page(0, 2);
    expect(one).toMatchObject({
      outcome: 'activated',
      source: 'poll',
      nidd: 'failed',
      niddReason: 'Not CatM or NBIoT Device',
    });
    expect(two).toMatchObject({ outcome: 'activated', source: 'poll', nidd: 'success' });
  });

  it('closes what is open as unconfirmed, and goes round every open device for history look-ups', () => {
    const devices = Array.from({ length: 5 }, (_, i) => device(i + 1));
    const ledger = new RequestLedger(devices);
    const seen = new Set<string>();
    for (let round = 0; round < 3; round++) for (const d of ledger.historyBatch(2)) seen.add(d.key);
    expect(seen.size).toBe(5);
    ledger.settleFromPoll('imei:350000000000001', { outcome: 'activated', assignedIds: [] });
    ledger.closeOpen('unconfirmed', 'answer lost');
    expect(ledger.counts()).toMatchObject({ activated: 1, unconfirmed: 4, pending: 0 });
  });
});
