import { createCipheriv, createDecipheriv, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import type { DataConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { PayloadKeys } from '../config';

/**
 * PII never reaches Temporal in clear text (docs/security.md): every payload (workflow and activity inputs and
 * results, signals, updates, markers, memos) is sealed with AES-256-GCM before it leaves the process.
 * The key id travels in the payload's metadata, so rotation is adding a key: the active key seals,
 * every configured key still opens what it sealed.
 */

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** The first byte of what earlier builds sealed (until 27 Nov 2026): `{`, a JSON object (see opened()). */
const LEGACY_JSON = 0x7b;

const utf8 = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | null | undefined) => (b ? Buffer.from(b).toString('utf8') : undefined);
const ProtoPayload = temporal.api.common.v1.Payload;

/** The payload's metadata and data as one byte string (Temporal's own Payload message), so nothing of it (not even its encoding) stays readable. */
const serialize = (p: Payload): Uint8Array => ProtoPayload.encode(p).finish();

/**
 * The payload a sealed byte string held. A Payload message starts with a field tag (0x0a, 0x12 or
 * 0x1a), never `{`: what the codec sealed earlier, JSON with base64 fields, still opens.
 */
function opened(b: Buffer): Payload {
  if (b[0] !== LEGACY_JSON) {
    const { metadata, data } = ProtoPayload.decode(b);
    return { metadata, data };
  }
  const legacy = JSON.parse(b.toString('utf8')) as { metadata: Record<string, string>; data: string };
  return {
    metadata: Object.fromEntries(
      Object.entries(legacy.metadata).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))]),
    ),
    data: new Uint8Array(Buffer.from(legacy.data, 'base64')),
  };
}

/**
 * GCM nonces without a random draw per payload: a random 96-bit start, then a counter (the
 * deterministic construction of NIST SP 800-38D, 8.2.1). A process never repeats one; two
 * processes sharing a key would need their random starts within one run's length of each other,
 * less likely than two random nonces colliding among as many payloads.
 */
class NonceSequence {
  private readonly next = randomBytes(IV_BYTES);

  take(): Buffer {
    const iv = Buffer.from(this.next);
    for (let i = IV_BYTES - 1; i >= 0; i--) {
      this.next[i] = (this.next[i] + 1) & 0xff;
      if (this.next[i] !== 0) break; // no carry into the byte before
    }
    return iv;
  }
}

export class EncryptionCodec implements PayloadCodec {
  /** The keys as key objects, made once: a raw key given to every cipher is copied into a new one each time. */
  private readonly keys = new Map<string, KeyObject>();
  private readonly nonces = new NonceSequence();

  constructor(private readonly config: PayloadKeys) {
    if (!config.keys.has(config.activeKeyId))
      throw new Error(`the active payload key "${config.activeKeyId}" is not among the configured keys`);
    for (const [id, key] of config.keys) {
      if (key.length !== 32) throw new Error(`payload key "${id}" must be 32 bytes (AES-256), got ${key.length}`);
      this.keys.set(id, createSecretKey(key));
    }
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const keyId = this.config.activeKeyId;
    const key = this.keys.get(keyId)!;
    return payloads.map((p) => {
      const iv = this.nonces.take();
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(keyId)); // the id is bound to the ciphertext: relabelling it fails to open
      const sealed = Buffer.concat([iv, cipher.update(serialize(p)), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: { encoding: utf8(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: utf8(keyId) },
        data: new Uint8Array(sealed),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      // Payloads written before encryption was enabled (or by other tools) pass through as they are.
      if (text(p.metadata?.encoding) !== ENCRYPTED_ENCODING) return p;
      const keyId = text(p.metadata?.[KEY_ID_METADATA]) ?? '';
      const key = this.keys.get(keyId);
      if (!key) throw new Error(`payload sealed with unknown key id "${keyId}": add it to PAYLOAD_KEYS`);
      const sealed = Buffer.from(p.data ?? new Uint8Array());
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(keyId));
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      return opened(
        Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]),
      );
    });
  }
}

/** The data converter of every Temporal client and worker the engine creates. */
export function encryptedDataConverter(keys: PayloadKeys): DataConverter {
  return { payloadCodecs: [new EncryptionCodec(keys)] };
}
