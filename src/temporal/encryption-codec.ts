/**
 * AES-256-GCM payload encryption, so place-of-use data (names, addresses) is not readable in Temporal's stored
 * history. Every payload names the key that sealed it; old keys stay configured for decoding, so keys rotate
 * without re-encrypting history.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, ValueError, type Payload, type PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';

const { temporal } = proto;

export const ENCRYPTED_ENCODING = 'binary/encrypted';
const KEY_ID_METADATA = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface EncryptionKeys {
  /** The key new payloads are sealed with. */
  activeKeyId: string;
  /** Every key that may have sealed a stored payload, the active one included: 32 bytes each. */
  keys: ReadonlyMap<string, Uint8Array>;
}

export class EncryptionCodec implements PayloadCodec {
  private readonly activeKey: Uint8Array;

  constructor(private readonly config: EncryptionKeys) {
    const active = config.keys.get(config.activeKeyId);
    if (!active) throw new ValueError(`encryption key "${config.activeKeyId}" is not among the configured keys`);
    for (const [id, key] of config.keys) {
      if (key.length !== 32)
        throw new ValueError(`encryption key "${id}" must be 32 bytes (AES-256), got ${key.length}`);
    }
    this.activeKey = active;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', this.activeKey, iv);
      const sealed = Buffer.concat([
        iv,
        cipher.update(temporal.api.common.v1.Payload.encode(payload).finish()),
        cipher.final(),
        cipher.getAuthTag(),
      ]);
      return {
        metadata: {
          [METADATA_ENCODING_KEY]: encoder.encode(ENCRYPTED_ENCODING),
          [KEY_ID_METADATA]: encoder.encode(this.config.activeKeyId),
        },
        data: sealed,
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
      if (!encoding || decoder.decode(encoding) !== ENCRYPTED_ENCODING) return payload;
      const keyIdBytes = payload.metadata?.[KEY_ID_METADATA];
      const keyId = keyIdBytes ? decoder.decode(keyIdBytes) : '';
      const key = this.config.keys.get(keyId);
      if (!key) throw new ValueError(`payload was encrypted with key "${keyId}", which is not configured`);
      const data = payload.data ?? new Uint8Array();
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      const plain = Buffer.concat([
        decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)),
        decipher.final(),
      ]);
      return temporal.api.common.v1.Payload.decode(plain);
    });
  }
}

/**
 * Keys from the environment: PAYLOAD_ENCRYPTION_KEYS = `id1:base64,id2:base64` (or PAYLOAD_ENCRYPTION_KEYS_FILE
 * holding the same text) and PAYLOAD_ENCRYPTION_KEY_ID = the active id. Undefined when encryption is off.
 */
export function encryptionKeysFromEnv(
  env: NodeJS.ProcessEnv,
  readFile: (path: string) => string,
): EncryptionKeys | undefined {
  const raw = env.PAYLOAD_ENCRYPTION_KEYS_FILE
    ? readFile(env.PAYLOAD_ENCRYPTION_KEYS_FILE)
    : env.PAYLOAD_ENCRYPTION_KEYS;
  if (!raw?.trim()) return undefined;
  const keys = new Map<string, Uint8Array>();
  for (const entry of raw
    .split(/[,\n]/)
    .map((e) => e.trim())
    .filter(Boolean)) {
    const separator = entry.indexOf(':');
    if (separator <= 0) throw new ValueError('PAYLOAD_ENCRYPTION_KEYS entries must look like `keyId:base64key`');
    keys.set(entry.slice(0, separator), Buffer.from(entry.slice(separator + 1), 'base64'));
  }
  const activeKeyId = env.PAYLOAD_ENCRYPTION_KEY_ID;
  if (!activeKeyId) throw new ValueError('PAYLOAD_ENCRYPTION_KEY_ID must name the key new payloads are encrypted with');
  return { activeKeyId, keys };
}
