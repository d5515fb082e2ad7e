/**
 * AES-256-GCM payload encryption, so place-of-use data (names, addresses) is not readable in Temporal's stored
 * history. Every payload names the key that sealed it; old keys stay configured for decoding, so keys rotate
 * without re-encrypting history.
 *
 * Format 2 (written since the key id became associated data): nonce (12 bytes) ‖ ciphertext ‖ tag (16 bytes),
 * with the key id authenticated as AAD, so a payload relabelled with another configured key id fails to open.
 * Payloads without the format marker were written before (no AAD); they still open, because histories of running
 * workflows hold them until their retention ends. Removing the marker does not downgrade a format-2 payload: its
 * tag covers the AAD, so opening it without fails.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, ValueError, type Payload, type PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';
import { exampleSecretProblem, isExampleSecret } from '../example-secrets.js';

const { temporal } = proto;

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
export const FORMAT_METADATA = 'encryption-format';
const FORMAT_KEY_ID_AAD = '2';
const IV_BYTES = 12;
/** Node accepts tags as short as 4 bytes unless told otherwise: a short tag is a forgery made easy. */
const TAG_BYTES = 16;
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const formatBytes = encoder.encode(FORMAT_KEY_ID_AAD);
const encodingBytes = encoder.encode(ENCRYPTED_ENCODING);

export interface EncryptionKeys {
  /** The key new payloads are sealed with. */
  activeKeyId: string;
  /** Every key that may have sealed a stored payload, the active one included: 32 bytes each. */
  keys: ReadonlyMap<string, Uint8Array>;
}

/**
 * Why a payload did not open. Only the missing-key message names the key id (operators need it to know which old
 * key to configure again); the codec server answers none of these messages to its callers.
 */
export class PayloadDecryptionError extends ValueError {
  override name = 'PayloadDecryptionError';
}

export class EncryptionCodec implements PayloadCodec {
  private readonly activeKey: Uint8Array;
  private readonly activeKeyIdBytes: Uint8Array;

  constructor(private readonly config: EncryptionKeys) {
    const active = config.keys.get(config.activeKeyId);
    if (!active) throw new ValueError(`encryption key "${config.activeKeyId}" is not among the configured keys`);
    for (const [id, key] of config.keys) {
      if (key.length !== 32)
        throw new ValueError(`encryption key "${id}" must be 32 bytes (AES-256), got ${key.length}`);
    }
    this.activeKey = active;
    this.activeKeyIdBytes = encoder.encode(config.activeKeyId);
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', this.activeKey, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(this.activeKeyIdBytes);
      const sealed = Buffer.concat([
        iv,
        cipher.update(temporal.api.common.v1.Payload.encode(payload).finish()),
        cipher.final(),
        cipher.getAuthTag(),
      ]);
      return {
        metadata: {
          [METADATA_ENCODING_KEY]: encodingBytes,
          [KEY_ID_METADATA]: this.activeKeyIdBytes,
          [FORMAT_METADATA]: formatBytes,
        },
        data: sealed,
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
      if (!encoding || decoder.decode(encoding) !== ENCRYPTED_ENCODING) return payload;
      const keyIdBytes = payload.metadata?.[KEY_ID_METADATA] ?? new Uint8Array();
      const keyId = decoder.decode(keyIdBytes);
      const key = this.config.keys.get(keyId);
      if (!key) throw new PayloadDecryptionError(`payload was encrypted with key "${keyId}", which is not configured`);
      const format = payload.metadata?.[FORMAT_METADATA];
      const withAad = format !== undefined && format !== null && decoder.decode(format) === FORMAT_KEY_ID_AAD;
      if (format && !withAad) throw new PayloadDecryptionError('payload has an unknown encryption format');
      const data = payload.data ?? new Uint8Array();
      if (data.length < IV_BYTES + TAG_BYTES) {
        throw new PayloadDecryptionError(
          `encrypted payload is ${data.length} bytes, shorter than its nonce and tag (${IV_BYTES + TAG_BYTES})`,
        );
      }
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES), {
        authTagLength: TAG_BYTES,
      });
      if (withAad) decipher.setAAD(keyIdBytes);
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      let plain: Buffer;
      try {
        plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      } catch {
        // Node's "Unsupported state or unable to authenticate data": wrong key, damaged data or a relabelled key id.
        throw new PayloadDecryptionError('encrypted payload failed authentication');
      }
      return temporal.api.common.v1.Payload.decode(plain);
    });
  }
}

/**
 * Keys from the environment: PAYLOAD_ENCRYPTION_KEYS = `id1:base64,id2:base64` (or PAYLOAD_ENCRYPTION_KEYS_FILE
 * holding the same text) and PAYLOAD_ENCRYPTION_KEY_ID = the active id. Undefined when encryption is off, which
 * PAYLOAD_ENCRYPTION_REQUIRED=true forbids (deployments set it so that a missing key cannot silently mean
 * clear-text history).
 */
export function encryptionKeysFromEnv(
  env: NodeJS.ProcessEnv,
  readFile: (path: string) => string,
): EncryptionKeys | undefined {
  const required = env.PAYLOAD_ENCRYPTION_REQUIRED ?? '';
  if (!['', 'true', 'false'].includes(required))
    throw new ValueError('PAYLOAD_ENCRYPTION_REQUIRED must be true or false');
  const raw = env.PAYLOAD_ENCRYPTION_KEYS_FILE
    ? readFile(env.PAYLOAD_ENCRYPTION_KEYS_FILE)
    : env.PAYLOAD_ENCRYPTION_KEYS;
  if (!raw?.trim()) {
    if (required === 'true') {
      throw new ValueError(
        'PAYLOAD_ENCRYPTION_KEYS or PAYLOAD_ENCRYPTION_KEYS_FILE: is required (PAYLOAD_ENCRYPTION_REQUIRED=true)',
      );
    }
    return undefined;
  }
  if (isExampleSecret(raw)) {
    throw new ValueError(
      exampleSecretProblem(
        env.PAYLOAD_ENCRYPTION_KEYS_FILE ? 'PAYLOAD_ENCRYPTION_KEYS_FILE' : 'PAYLOAD_ENCRYPTION_KEYS',
      ),
    );
  }
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
