/**
 * Gzips large payloads before they reach Temporal. A 10,000-device request's device list or callback batches are
 * repetitive JSON; compressed they stay far below Temporal's 512 KB payload warning and 2 MB limit, and the
 * request workflow's history below the 10 MB warning. Small payloads stay plain so the Web UI shows them as is.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { METADATA_ENCODING_KEY, ValueError, type Payload, type PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';

// A CommonJS module: Node's ESM loader offers only its default export.
const { temporal } = proto;

export const GZIP_ENCODING = 'binary/gzip';
const encodingBytes = new TextEncoder().encode(GZIP_ENCODING);
const decoder = new TextDecoder();

/**
 * The most a gzip payload may expand to. Temporal refuses payloads over 2 MB, and gzip reaches about 1000:1 (200 MiB
 * of zeros gzip to 204 KB), so an unbounded gunzip of a crafted 2 MB payload would allocate gigabytes and kill the
 * worker or the codec server. Our largest payloads stay far below: a 25,000-device job input is 2.5 MB of JSON
 * (measured with test/harness/activation.ts's jobRequest), callback batches at most 1 MB.
 */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;

export class CompressionCodec implements PayloadCodec {
  constructor(
    private readonly minBytes = 4 * 1024,
    private readonly maxDecompressedBytes = DEFAULT_MAX_DECOMPRESSED_BYTES,
  ) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      // Nearly every payload is far below the threshold: a bound on its encoded size spares serialising it to learn
      // that (the webhook and the worker did so for every callback batch).
      if (encodedSizeBound(payload) < this.minBytes) return payload;
      const raw = temporal.api.common.v1.Payload.encode(payload).finish();
      if (raw.length < this.minBytes) return payload;
      const gzipped = gzipSync(raw);
      // Already compressed or random bytes grow under gzip: those are kept as they are.
      return gzipped.length < raw.length
        ? { metadata: { [METADATA_ENCODING_KEY]: encodingBytes }, data: gzipped }
        : payload;
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
      if (!encoding || decoder.decode(encoding) !== GZIP_ENCODING || !payload.data) return payload;
      let raw: Buffer;
      try {
        raw = gunzipSync(payload.data, { maxOutputLength: this.maxDecompressedBytes });
      } catch (err) {
        // ERR_BUFFER_TOO_LARGE when the limit is hit (zlib stops there, nothing larger is allocated); a zlib error
        // code for damaged data.
        const code = (err as NodeJS.ErrnoException).code;
        throw new ValueError(
          code === 'ERR_BUFFER_TOO_LARGE'
            ? `gzip payload expands beyond ${this.maxDecompressedBytes} bytes`
            : `gzip payload could not be decompressed (${code ?? 'error'})`,
        );
      }
      return temporal.api.common.v1.Payload.decode(raw);
    });
  }
}

/** At least the protobuf size of `payload`: its bytes plus generous room for each field's tag and length. */
export function encodedSizeBound(payload: Payload): number {
  let size = (payload.data?.length ?? 0) + 16 + (payload.externalPayloads?.length ?? 0) * 32;
  for (const [key, value] of Object.entries(payload.metadata ?? {})) size += key.length * 3 + (value?.length ?? 0) + 24;
  return size;
}
