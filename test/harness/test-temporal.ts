import { afterAll, beforeAll } from '@jest/globals';
import type { DataConverter } from '@temporalio/common';
import { connectTestClient, type TestTemporal } from './temporal.js';

/**
 * The test file's connection to the shared Temporal server: connected in beforeAll, closed in afterAll. Call it at
 * the top of the file; its fields are read inside tests (reading them before beforeAll has run throws).
 */
export function useTestTemporal(converter?: DataConverter): TestTemporal {
  let current: TestTemporal | undefined;
  beforeAll(async () => {
    current = await connectTestClient(converter);
  });
  afterAll(async () => {
    await current?.close();
  });
  const get = (): TestTemporal => {
    if (!current) throw new Error('the test Temporal connection was used before beforeAll connected it');
    return current;
  };
  return {
    get client() {
      return get().client;
    },
    get connection() {
      return get().connection;
    },
    get namespace() {
      return get().namespace;
    },
    get address() {
      return get().address;
    },
    close: () => get().close(),
  };
}
