/** The compression codec skips serialising small payloads on a bound: it must never be below the real size. */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { temporal } from '@temporalio/proto';
import { encodedSizeBound } from '../../src/temporal/compression-codec.js';
import { seed } from '../properties/cases.js';

const bytes = (max: number) => fc.uint8Array({ maxLength: max });

describe('encodedSizeBound', () => {
  it('is at least the protobuf size of any payload (10,000 generated)', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ maxLength: 40, unit: 'binary' }), bytes(300), { maxKeys: 6 }),
        bytes(70_000),
        fc.array(fc.record({ sizeBytes: fc.integer({ min: 0, max: 2 ** 31 }) }), { maxLength: 3 }),
        (metadata, data, externalPayloads) => {
          // protobufjs takes a number where its types say Long.
          const payload = { metadata, data, externalPayloads } as unknown as temporal.api.common.v1.IPayload;
          const size = temporal.api.common.v1.Payload.encode(payload).finish().length;
          expect(encodedSizeBound(payload)).toBeGreaterThanOrEqual(size);
        },
      ),
      { seed, numRuns: 10_000 },
    );
  });
});
