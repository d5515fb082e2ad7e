import { describe, expect, it } from '@jest/globals';
import type { DeviceReport } from '../../src/activation/model.js';
import { failuresFirst } from '../../src/activation/outcome-groups.js';
import { formatGroups, OutcomeTally } from '../../src/cli/outcome-groups.js';

const device = (n: number, outcome: string, reason?: string): DeviceReport =>
  ({ key: `imei:${n}`, deviceIds: [], assignedIds: [], outcome, ...(reason && { reason }) }) as DeviceReport;

describe('grouping what is left after a job', () => {
  // The job reports the devices it settled itself (skipped) before the requests' failures: the order seen in demos.
  const report = [
    ...Array.from({ length: 20 }, (_, i) => device(i, 'skipped', 'already active')),
    device(20, 'skipped', 'not in account'),
    device(21, 'activated'),
    device(22, 'unresolved', 'no result before the poll deadline'),
    ...Array.from({ length: 5 }, (_, i) => device(30 + i, 'failed', 'Bad SIM')),
    ...Array.from({ length: 2 }, (_, i) => device(40 + i, 'failed', 'activate refused (ERR): plan')),
    // An outcome this code does not name yet still sorts before skipped devices.
    device(50, 'unconfirmed', 'activate answer lost; no sign ThingSpace acted'),
    device(51, 'pending'),
  ];

  it('groups by outcome (failed, unconfirmed, unresolved, skipped) and by reason, most frequent first', () => {
    const groups = new OutcomeTally().add(report).groups();
    expect(groups.map((g) => [g.outcome, g.count])).toEqual([
      ['failed', 7],
      ['unconfirmed', 1],
      ['unresolved', 1],
      ['skipped', 21],
    ]);
    expect(groups[0]!.reasons).toEqual([
      { reason: 'Bad SIM', count: 5 },
      { reason: 'activate refused (ERR): plan', count: 2 },
    ]);
    expect(formatGroups(groups, '')).toEqual([
      'failed 7:',
      '       5  Bad SIM',
      '       2  activate refused (ERR): plan',
      'unconfirmed 1:',
      '       1  activate answer lost; no sign ThingSpace acted',
      'unresolved 1:',
      '       1  no result before the poll deadline',
      'skipped 21:',
      '      20  already active',
      '       1  not in account',
    ]);
  });

  it('lists the first devices failures first, even when skipped ones came first in the report', () => {
    const first = new OutcomeTally(3).add(report).firstDevices(8);
    expect(first.map((d) => d.key)).toEqual([
      'imei:30',
      'imei:31',
      'imei:32',
      'imei:50',
      'imei:22',
      'imei:0',
      'imei:1',
      'imei:2',
    ]);
    expect(
      failuresFirst(report)
        .slice(0, 7)
        .every((d) => d.outcome === 'failed'),
    ).toBe(true);
  });

  it('folds reasons beyond the most frequent into one line', () => {
    const many = Array.from({ length: 12 }, (_, i) => device(i, 'failed', `reason ${String(i).padStart(2, '0')}`));
    const lines = formatGroups(new OutcomeTally().add(many).groups(), '', 10);
    expect(lines).toHaveLength(12);
    expect(lines.at(-1)).toBe('       2  (2 other reasons)');
  });
});
