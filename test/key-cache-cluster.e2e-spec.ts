import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import {
  bearer,
  createUserWithKey,
  type SecuredGateway,
  startSecuredGateway,
  UNTHROTTLED_PLAN,
} from './support/accounts.js';
import { TEST_REDIS_URL } from './support/redis-queue.js';
import { baseTestConfig, deepMerge, dropSchema, freePort, waitFor } from './support/test-gateway.js';

const MAIN = new URL('../src/main.js', import.meta.url).pathname;
const KEY = /sgk_[0-9A-Za-z_]+/;

interface Node {
  child: ChildProcess;
  url: string;
  exited: Promise<number | null>;
}

async function startNode(configPath: string, cwd: string): Promise<Node> {
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN, '--config', configPath, '--port', String(port)], {
    cwd,
    env: { PATH: process.env['PATH'] ?? '' },
    stdio: 'ignore',
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${url}/health/live`)).ok, 'node', 60_000);
  return { child, url, exited };
}

/** The status GET /me answers with `key` (200 accepted, 401 refused). */
async function statusWith(url: string, key: string): Promise<number> {
  const res = await fetch(`${url}/me`, { headers: bearer(key) });
  await res.arrayBuffer();
  return res.status;
}

async function admin(url: string, adminKey: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { ...bearer(adminKey), 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as { data: Record<string, unknown> };
  assert.ok(res.ok, `${method} ${path} answered ${res.status}: ${JSON.stringify(json)}`);
  return json.data;
}

// An hour-long key cache: a key refused on the other node within the test was refused
// because of the notice, not because the cache bound ran out (the bound has a unit test).
for (const notices of ['postgres', 'redis'] as const) {
  describe(
    `verified-key cache across two server processes, changes announced by ${notices}`,
    { timeout: 240_000 },
    () => {
      let dir: string;
      const schema = `p_${randomBytes(5).toString('hex')}`;
      const nodes: Node[] = [];
      let adminKey = '';

      before(async () => {
        dir = await mkdtemp(join(tmpdir(), 'sg-key-cache-'));
        const configPath = join(dir, 'config.yaml');
        const config = deepMerge(baseTestConfig(dir, 'postgres', schema), {
          auth: { enforce: true, key_cache_seconds: 3600 },
          middleware: { logging: { log_level: 'warn' } },
          rate_limits: {
            plans: { free: UNTHROTTLED_PLAN },
            ...(notices === 'redis' ? { redis_url: TEST_REDIS_URL } : {}),
          },
        });
        await writeFile(configPath, stringify(config));
        // One at a time: the first runs the migrations and writes the bootstrap admin key.
        nodes.push(await startNode(configPath, dir));
        nodes.push(await startNode(configPath, dir));
        const printed = await readFile(join(dir, 'data', 'bootstrap-admin-key.txt'), 'utf8');
        adminKey = KEY.exec(printed)?.[0] ?? '';
        assert.ok(adminKey, 'the first node wrote the bootstrap admin key');
      });
      after(async () => {
        for (const node of nodes) node.child.kill('SIGKILL');
        await Promise.all(nodes.map((node) => node.exited));
        await dropSchema(schema);
        await rm(dir, { recursive: true, force: true });
      });

      /** A user whose key both nodes have verified (and so remember). */
      async function userKnownToBoth(email: string) {
        const [a, b] = nodes as [Node, Node];
        const user = await createUserWithKey(a.url, adminKey, { email });
        for (let i = 0; i < 2; i++) {
          assert.equal(await statusWith(a.url, user.key), 200);
          assert.equal(await statusWith(b.url, user.key), 200);
        }
        return user;
      }

      const refusedOn = (node: Node, key: string, what: string) =>
        waitFor(async () => (await statusWith(node.url, key)) === 401, what, 15_000);

      it('refuses on node B a key revoked through node A', async () => {
        const [a, b] = nodes as [Node, Node];
        const user = await userKnownToBoth('revoked@example.com');
        await admin(a.url, adminKey, 'DELETE', `/admin/users/${user.id}/keys/${user.keyId}`);
        assert.equal(await statusWith(a.url, user.key), 401, 'refused at once on the node that revoked it');
        await refusedOn(b, user.key, 'the revoked key refused on node B');
      });

      it('refuses on node B the old secret of a key rotated through node A', async () => {
        const [a, b] = nodes as [Node, Node];
        const user = await userKnownToBoth('rotated@example.com');
        const rotated = await admin(
          a.url,
          adminKey,
          'POST',
          `/admin/users/${user.id}/keys/${user.keyId}/rotate`,
          {
            grace_hours: 0,
          },
        );
        assert.equal(await statusWith(a.url, user.key), 401);
        await refusedOn(b, user.key, 'the old secret refused on node B');
        assert.equal(await statusWith(b.url, String(rotated['api_key'])), 200, 'the successor works');
      });

      it('refuses on node B the keys of a user deactivated through node A', async () => {
        const [a, b] = nodes as [Node, Node];
        const user = await userKnownToBoth('deactivated@example.com');
        await admin(a.url, adminKey, 'PATCH', `/admin/users/${user.id}`, { is_active: false });
        assert.equal(await statusWith(a.url, user.key), 401);
        await refusedOn(b, user.key, 'the deactivated user’s key refused on node B');
      });
    },
  );
}

describe('verified-key cache on the embedded database (one process)', { timeout: 120_000 }, () => {
  let s: SecuredGateway;
  before(async () => {
    s = await startSecuredGateway({
      database: 'embedded',
      config: { auth: { key_cache_seconds: 3600 }, rate_limits: { plans: { free: UNTHROTTLED_PLAN } } },
    });
  });
  after(() => s.t.close());

  it('refuses a revoked or rotated key at once, and a deactivated user’s key', async () => {
    const revoked = await createUserWithKey(s.t.url, s.adminKey, { email: 'e-revoked@example.com' });
    assert.equal(await statusWith(s.t.url, revoked.key), 200);
    await admin(s.t.url, s.adminKey, 'DELETE', `/admin/users/${revoked.id}/keys/${revoked.keyId}`);
    assert.equal(await statusWith(s.t.url, revoked.key), 401);

    const rotated = await createUserWithKey(s.t.url, s.adminKey, { email: 'e-rotated@example.com' });
    assert.equal(await statusWith(s.t.url, rotated.key), 200);
    const successor = await admin(
      s.t.url,
      s.adminKey,
      'POST',
      `/admin/users/${rotated.id}/keys/${rotated.keyId}/rotate`,
      { grace_hours: 0 },
    );
    assert.equal(await statusWith(s.t.url, rotated.key), 401);
    assert.equal(await statusWith(s.t.url, String(successor['api_key'])), 200);

    await admin(s.t.url, s.adminKey, 'PATCH', `/admin/users/${rotated.id}`, { is_active: false });
    assert.equal(await statusWith(s.t.url, String(successor['api_key'])), 401);
  });
});
