/**
 * Gzips large payloads before they reach Temporal. A 10,000-device request's device list or callback batches are
 * repetitive JSON; compressed they stay far below Temporal's 512 KB payload warning and 2 MB limit, and the
 * request workflow's history below the 10 MB warning. Small payloads stay plain so the Web UI shows them as is.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';

// A CommonJS module: Node's ESM loader offers only its default export.
const { temporal } = proto;

export const GZIP_ENCODING = 'binary/gzip';
const encodingBytes = new TextEncoder().encode(GZIP_ENCODING);
const decoder = new TextDecoder();

export class CompressionCodec implements PayloadCodec {
  constructor(private readonly minBytes = 4 * 1024) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const raw = temporal.api.common.v1.Payload.encode(payload).finish();
      if (raw.length < this.minBytes) return payload;
      return { metadata: { [METADATA_ENCODING_KEY]: encodingBytes }, data: gzipSync(raw) };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
      if (!encoding || decoder.decode(encoding) !== GZIP_ENCODING || !payload.data) return payload;
      return temporal.api.common.v1.Payload.decode(gunzipSync(payload.data));
    });
  }
}
