/**
 * The custom search attributes the Web UI and `temporal workflow list --query` filter on. Defined once: workflows
 * upsert them, the dev server and docker-compose register them, tests query them.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const ThingSpaceAccount = defineSearchAttributeKey('ThingSpaceAccount', SearchAttributeType.KEYWORD);
export const ActivationPhase = defineSearchAttributeKey('ActivationPhase', SearchAttributeType.KEYWORD);
export const DeviceCount = defineSearchAttributeKey('DeviceCount', SearchAttributeType.INT);
export const DevicesActivated = defineSearchAttributeKey('DevicesActivated', SearchAttributeType.INT);
export const DevicesFailed = defineSearchAttributeKey('DevicesFailed', SearchAttributeType.INT);
export const ThingSpaceRequestIds = defineSearchAttributeKey('ThingSpaceRequestIds', SearchAttributeType.KEYWORD_LIST);

/** What a finished job or request upserts: its activated and failed counts, for list queries and the Web UI. */
export function finalCountAttributes(counts: { activated: number; failed: number }) {
  return [
    { key: DevicesActivated, value: counts.activated },
    { key: DevicesFailed, value: counts.failed },
  ];
}

export const customSearchAttributes = [
  ThingSpaceAccount,
  ActivationPhase,
  DeviceCount,
  DevicesActivated,
  DevicesFailed,
  ThingSpaceRequestIds,
] as const;

const cliTypeNames: Record<SearchAttributeType, string> = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

/** `Name=Type` pairs in the form `temporal server start-dev --search-attribute` and `operator search-attribute create` take. */
export function searchAttributeCliPairs(): string[] {
  return customSearchAttributes.map((key) => `${key.name}=${cliTypeNames[key.type]}`);
}
