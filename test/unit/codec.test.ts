// The payload codec (platform/codec.ts): AES-256-GCM with the key id in metadata; rotation; tampering.
import { createCipheriv, randomBytes } from 'node:crypto';
import type { Payload } from '@temporalio/common';
import { loadConfig } from '../../config';
import { ENCRYPTED_ENCODING, EncryptionCodec, KEY_ID_METADATA } from '../../platform/codec';

const json = (value: unknown): Payload => ({
  metadata: { encoding: new TextEncoder().encode('json/plain') },
  data: new TextEncoder().encode(JSON.stringify(value)),
});
const text = (b?: Uint8Array | null) => Buffer.from(b ?? new Uint8Array()).toString();
const keys = (entries: Array<[string, Buffer]>, activeKeyId: string) => ({ keys: new Map(entries), activeKeyId });

const k1 = randomBytes(32);
const k2 = randomBytes(32);

test('encodes to binary/encrypted with the key id; decodes back to the same payload', async () => {
  const codec = new EncryptionCodec(keys([['k1', k1]], 'k1'));
  const original = json({ phone: '+86 139 0000 0000', name: '张三' });
  const [sealed] = await codec.encode([original]);
  expect(text(sealed.metadata!.encoding)).toBe(ENCRYPTED_ENCODING);
  expect(text(sealed.metadata![KEY_ID_METADATA])).toBe('k1');
  expect(Buffer.from(sealed.data!).includes(Buffer.from('+86 139'))).toBe(false);
  expect(Buffer.from(sealed.data!).includes(Buffer.from('json/plain'))).toBe(false);
  const [opened] = await codec.decode([sealed]);
  expect(text(opened.metadata!.encoding)).toBe('json/plain');
  expect(JSON.parse(text(opened.data))).toEqual({ phone: '+86 139 0000 0000', name: '张三' });
});

test('the same payload encrypts differently every time (a nonce is never used twice)', async () => {
  const codec = new EncryptionCodec(keys([['k1', k1]], 'k1'));
  const [a, b] = await codec.encode([json('same'), json('same')]);
  expect(Buffer.from(a.data!).equals(Buffer.from(b.data!))).toBe(false);
  // Past several carries of the counter's low byte, every nonce (the first 12 bytes) is new.
  const sealed = await codec.encode(Array.from({ length: 1000 }, () => json('same')));
  const nonces = new Set(sealed.map((p) => Buffer.from(p.data!).subarray(0, 12).toString('hex')));
  expect(nonces.size).toBe(1000);
});

test('payloads sealed in the earlier layout (JSON with base64 fields inside) still open', async () => {
  const codec = new EncryptionCodec(keys([['k1', k1]], 'k1'));
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const inside = JSON.stringify({ metadata: { encoding: b64('json/plain') }, data: b64('{"name":"张三"}') });
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', k1, iv);
  cipher.setAAD(Buffer.from('k1'));
  const data = Buffer.concat([iv, cipher.update(inside), cipher.final(), cipher.getAuthTag()]);
  const utf8 = (s: string) => new TextEncoder().encode(s);
  const [opened] = await codec.decode([
    { metadata: { encoding: utf8(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: utf8('k1') }, data: new Uint8Array(data) },
  ]);
  expect(text(opened.metadata!.encoding)).toBe('json/plain');
  expect(JSON.parse(text(opened.data))).toEqual({ name: '张三' });
});

test('rotation: the active key encrypts; older keys still decrypt; an unknown key id fails clearly', async () => {
  const before = new EncryptionCodec(keys([['k1', k1]], 'k1'));
  const after = new EncryptionCodec(
    keys(
      [
        ['k1', k1],
        ['k2', k2],
      ],
      'k2',
    ),
  );
  const [old] = await before.encode([json({ v: 1 })]);
  const [fresh] = await after.encode([json({ v: 2 })]);
  expect(text(fresh.metadata![KEY_ID_METADATA])).toBe('k2');
  const [a, b] = await after.decode([old, fresh]);
  expect([JSON.parse(text(a.data)), JSON.parse(text(b.data))]).toEqual([{ v: 1 }, { v: 2 }]);
  await expect(before.decode([fresh])).rejects.toThrow(/unknown key id "k2"/);
});

test('tampered ciphertext or a relabelled key id is refused (GCM authentication)', async () => {
  const codec = new EncryptionCodec(
    keys(
      [
        ['k1', k1],
        ['k2', k1],
      ],
      'k1',
    ),
  );
  const [sealed] = await codec.encode([json({ amount: 100 })]);
  const flipped = Buffer.from(sealed.data!);
  flipped[20] ^= 1;
  await expect(codec.decode([{ ...sealed, data: new Uint8Array(flipped) }])).rejects.toThrow();
  // Same key bytes under another id: the id is authenticated data, so relabelling fails too.
  await expect(
    codec.decode([{ ...sealed, metadata: { ...sealed.metadata, [KEY_ID_METADATA]: new TextEncoder().encode('k2') } }]),
  ).rejects.toThrow();
});

test('payloads that were never encrypted pass through decode unchanged', async () => {
  const codec = new EncryptionCodec(keys([['k1', k1]], 'k1'));
  const plain = json({ legacy: true });
  expect(await codec.decode([plain])).toEqual([plain]);
});

test('wrong key sizes and a missing active key are refused at start', () => {
  expect(() => new EncryptionCodec(keys([['k1', randomBytes(16)]], 'k1'))).toThrow(/32 bytes/);
  expect(() => new EncryptionCodec(keys([['k1', k1]], 'k9'))).toThrow(/active payload key "k9"/);
});

describe('configuration (PAYLOAD_KEYS, PAYLOAD_KEY_ID)', () => {
  const b64 = (b: Buffer) => b.toString('base64');

  test('defaults to the documented development key', () => {
    const { payloadKeys } = loadConfig({});
    expect(payloadKeys.activeKeyId).toBe('dev');
    expect(payloadKeys.keys.get('dev')).toHaveLength(32);
  });

  test('several keys; the last one listed is active unless PAYLOAD_KEY_ID says otherwise', () => {
    const env = { PAYLOAD_KEYS: `2025:${b64(k1)}, 2026:${b64(k2)}` };
    expect(loadConfig(env).payloadKeys.activeKeyId).toBe('2026');
    expect(loadConfig({ ...env, PAYLOAD_KEY_ID: '2025' }).payloadKeys.activeKeyId).toBe('2025');
  });

  test.each([
    ['a short key', `k:${b64(randomBytes(16))}`, /PAYLOAD_KEYS: key "k" must be 32 bytes/],
    ['no id', b64(k1), /PAYLOAD_KEYS: entry 1 must be <id>:<base64 key>/],
    ['nothing', ' , ', /PAYLOAD_KEYS: must list at least one/],
  ])('%s is refused naming the variable and never echoing key material', (_what, value, message) => {
    let error: Error | undefined;
    try {
      loadConfig({ PAYLOAD_KEYS: value });
    } catch (err) {
      error = err as Error;
    }
    expect(error?.message).toMatch(message);
    expect(error?.message).not.toContain(value.slice(-10));
  });

  test('an active id that is not configured is refused', () => {
    expect(() => loadConfig({ PAYLOAD_KEYS: `a:${b64(k1)}`, PAYLOAD_KEY_ID: 'b' })).toThrow(
      /PAYLOAD_KEY_ID: "b" is not a key id/,
    );
  });
});
