import { startTestGateway, type TestGateway, type TestGatewayOptions, deepMerge } from './test-gateway.js';

export interface SecuredGateway {
  t: TestGateway;
  /** The bootstrap admin key the first start printed. */
  adminKey: string;
}

const KEY = /sgk_[0-9A-Za-z_]+/;

/** A plan's rate limits high enough that a test's own requests are never throttled. */
export const UNTHROTTLED_PLAN = { burst_per_second: 100, requests_per_minute: 1000 } as const;

/** A gateway that enforces keys, with the bootstrap admin key captured from its one-time print. */
export async function startSecuredGateway(options: TestGatewayOptions = {}): Promise<SecuredGateway> {
  const printed: string[] = [];
  const t = await startTestGateway({
    ...options,
    config: deepMerge({ auth: { enforce: true } }, options.config ?? {}),
    bootstrapKeySink: (message) => printed.push(message),
  });
  const adminKey = KEY.exec(printed.join('\n'))?.[0];
  if (!adminKey) {
    await t.close();
    throw new Error('the first start printed no bootstrap admin key');
  }
  return { t, adminKey };
}

export function bearer(key: string): Record<string, string> {
  return { Authorization: `Bearer ${key}` };
}

export interface TestUser {
  id: number;
  key: string;
  keyId: string;
}

/** Creates a user and a key through the admin API. */
export async function createUserWithKey(
  url: string,
  adminKey: string,
  user: { email: string; plan?: string; quota_seconds?: number; scopes?: string[]; name?: string },
): Promise<TestUser> {
  const created = await fetch(`${url}/admin/users`, {
    method: 'POST',
    headers: { ...bearer(adminKey), 'Content-Type': 'application/json' },
    body: JSON.stringify({
      name: user.name ?? user.email,
      email: user.email,
      plan: user.plan,
      quota_seconds: user.quota_seconds,
    }),
  });
  const createdBody = (await created.json()) as { data: { id: number } };
  if (created.status !== 201)
    throw new Error(`user create answered ${created.status}: ${JSON.stringify(createdBody)}`);
  const keyAnswer = await fetch(`${url}/admin/users/${createdBody.data.id}/keys`, {
    method: 'POST',
    headers: { ...bearer(adminKey), 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: 'test', scopes: user.scopes }),
  });
  const keyBody = (await keyAnswer.json()) as { data: { api_key: string; key_id: string } };
  if (keyAnswer.status !== 201) throw new Error(`key create answered ${keyAnswer.status}`);
  return { id: createdBody.data.id, key: keyBody.data.api_key, keyId: keyBody.data.key_id };
}
