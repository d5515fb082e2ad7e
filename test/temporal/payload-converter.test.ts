import { describe, expect, it } from '@jest/globals';
import { createRequire } from 'node:module';
import { defaultPayloadConverter, type PayloadConverter } from '@temporalio/common';
import { PAYLOAD_CONVERTER_PATH } from '../../src/temporal/data-converter.js';

const { payloadConverter } = createRequire(import.meta.url)(PAYLOAD_CONVERTER_PATH) as {
  payloadConverter: PayloadConverter;
};

describe('the payload converter with native UTF-8', () => {
  const values: unknown[] = [
    { devices: [{ kind: 'imei', id: '350000000000001' }], note: 'héllo ✓ 😀 \u2028' },
    'plain string',
    42,
    null,
    [1, [2, { three: true }]],
    new Uint8Array([0, 1, 2, 255]),
  ];

  it('writes the very bytes and metadata the SDK default writes, and reads them back', () => {
    for (const value of values) {
      const ours = payloadConverter.toPayload(value);
      const theirs = defaultPayloadConverter.toPayload(value);
      expect(ours.metadata).toEqual(theirs.metadata);
      expect(Buffer.from(ours.data!).equals(Buffer.from(theirs.data!))).toBe(true);
      expect(payloadConverter.fromPayload(theirs)).toEqual(value);
      expect(defaultPayloadConverter.fromPayload(ours)).toEqual(value);
    }
    expect(payloadConverter.toPayload(undefined)).toEqual(defaultPayloadConverter.toPayload(undefined));
  });

  it('refuses a JSON payload without data, as the default does', () => {
    const empty = { metadata: defaultPayloadConverter.toPayload({}).metadata };
    expect(() => payloadConverter.fromPayload(empty)).toThrow('Got payload with no data');
  });
});
