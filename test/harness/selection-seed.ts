/**
 * An account whose devices differ by state, device group, custom fields and type, with a second account using the
 * same group names: for tests of the list filters and of group / custom-field selection.
 */
import type { SeedDevice } from '../../src/simulator/index.js';
import { DEFAULT_ACCOUNT, nbIotDevice, seedDevice } from './activation.js';

export const OTHER_ACCOUNT = '0000000002-00001';
export const SELECTION_STATES = ['pre-active', 'active', 'deactive', 'suspend', 'preactive'] as const;

const GROUPS: (string[] | undefined)[] = [['4G West'], ['4G East', '4G West'], undefined];
const FIELDS = [
  [{ key: 'CustomField2', value: 'SuperVend' }],
  [
    { key: 'CustomField2', value: 'SuperVend' },
    { key: 'CustomField1', value: 'Blue' },
  ],
  [{ key: 'CustomField1', value: 'Blue' }],
  [],
];

/** Device `n` of the selection account: its traits follow from `n`, so tests can compute what a filter matches. */
export function selectionDevice(n: number, accountName = DEFAULT_ACCOUNT): SeedDevice {
  const groupNames = GROUPS[n % GROUPS.length];
  const extra: Partial<SeedDevice> = {
    accountName,
    state: SELECTION_STATES[n % SELECTION_STATES.length],
    customFields: FIELDS[n % FIELDS.length],
    ...(groupNames && { groupNames }),
  };
  return n % 10 === 7 ? nbIotDevice(n, extra) : seedDevice(n, extra);
}

export function selectionSeed(count: number, otherAccountCount = 100): SeedDevice[] {
  return [
    ...Array.from({ length: count }, (_, n) => selectionDevice(n)),
    ...Array.from({ length: otherAccountCount }, (_, i) => selectionDevice(count + 10_000 + i, OTHER_ACCOUNT)),
  ];
}

/** The account's device numbers (below `count`) matching a predicate on their seed. */
export function matching(count: number, predicate: (seed: SeedDevice, n: number) => boolean): number[] {
  return Array.from({ length: count }, (_, n) => n).filter((n) => predicate(selectionDevice(n), n));
}

export const inGroup = (group: string) => (seed: SeedDevice) =>
  (seed.groupNames ?? [`Default: ${seed.accountName}`]).includes(group);

export const hasFields = (fields: { key: string; value: string }[]) => (seed: SeedDevice) =>
  fields.every((f) => (seed.customFields ?? []).some((c) => c.key === f.key && c.value === f.value));
