/**
 * Where webhook secrets come from: one per provider or courier (docs/security.md), read from
 * `WEBHOOK_SECRET_<NAME>` where NAME is the source in upper snake case (`sf-express` → SF_EXPRESS).
 * Without it, the development default `dev-secret-<name>` is used (e.g. `dev-secret-wechat_pay`,
 * `dev-secret-sf-express`) so the simulators and the API agree offline. Set real secrets in production.
 */

/** Sources that send signed webhooks: payment providers and couriers. */
export const webhookSources = ['wechat_pay', 'alipay', 'card', 'sf-express', 'yto'] as const;
export type WebhookSource = (typeof webhookSources)[number];

export function webhookSecretEnvVar(name: string): string {
  return `WEBHOOK_SECRET_${name.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}`;
}

export function webhookSecret(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const configured = env[webhookSecretEnvVar(name)];
  return configured && configured.length > 0 ? configured : `dev-secret-${name}`;
}
