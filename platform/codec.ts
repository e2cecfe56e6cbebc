import { createCipheriv, createDecipheriv, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import type { DataConverter } from '@temporalio/common';
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

const utf8 = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | null | undefined) => (b ? Buffer.from(b).toString('utf8') : undefined);

/** The payload's metadata and data as one byte string, so nothing of it (not even its encoding) stays readable. */
function serialize(p: Payload): Buffer {
  const metadata = Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')]),
  );
  return Buffer.from(JSON.stringify({ metadata, data: Buffer.from(p.data ?? new Uint8Array()).toString('base64') }));
}

function deserialize(b: Buffer): Payload {
  const { metadata, data } = JSON.parse(b.toString('utf8')) as { metadata: Record<string, string>; data: string };
  return {
    metadata: Object.fromEntries(
      Object.entries(metadata).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))]),
    ),
    data: new Uint8Array(Buffer.from(data, 'base64')),
  };
}

export class EncryptionCodec implements PayloadCodec {
  /** The keys as key objects, made once: a raw key given to every cipher is copied into a new one each time. */
  private readonly keys = new Map<string, KeyObject>();

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
      const iv = randomBytes(IV_BYTES);
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
      return deserialize(
        Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]),
      );
    });
  }
}

/** The data converter of every Temporal client and worker the engine creates. */
export function encryptedDataConverter(keys: PayloadKeys): DataConverter {
  return { payloadCodecs: [new EncryptionCodec(keys)] };
}
