import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { isAbsolute, join, posix } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { BOOTSTRAP_KEY_FILE } from '../src/accounts/bootstrap-admin.js';
import { parseConfig } from '../src/config/config.loader.js';
import { DatabaseConfig, PathsConfig, ServerConfig } from '../src/config/config.schema.js';
import { ENV_OVERRIDES } from '../src/config/env-overrides.js';
import { startTestGateway, type TestGateway } from './support/test-gateway.js';

/*
 * No container runtime here: the Dockerfile, docker-compose.yml and deploy/kubernetes/ are
 * checked statically against the app they deploy.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const K8S = join(ROOT, 'deploy/kubernetes');
const text = (path: string) => readFile(join(ROOT, path), 'utf8');

type Node = Record<string, unknown>;
const isNode = (value: unknown): value is Node =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
function at(value: unknown, ...path: Array<string | number>): unknown {
  let node = value;
  for (const key of path) {
    if (typeof key === 'number' ? !Array.isArray(node) : !isNode(node)) return undefined;
    node = (node as Record<string | number, unknown>)[key];
  }
  return node;
}

/** Parses every document of a YAML file; any syntax error fails. */
async function yamlDocuments(path: string): Promise<Node[]> {
  const documents = parseAllDocuments(await text(path), { merge: true });
  const list = Array.isArray(documents) ? documents : [documents];
  for (const document of list)
    assert.deepEqual(document.errors, [], `${path}: ${document.errors.join('; ')}`);
  return list.map((document) => document.toJS() as Node);
}

async function kubernetesObjects(): Promise<Node[]> {
  const kustomization = (await yamlDocuments('deploy/kubernetes/kustomization.yaml'))[0];
  const resources = at(kustomization, 'resources') as string[];
  const objects: Node[] = [];
  for (const resource of resources) objects.push(...(await yamlDocuments(`deploy/kubernetes/${resource}`)));
  return objects;
}

function byKind(objects: Node[], kind: string): Node {
  const found = objects.find((object) => object['kind'] === kind);
  assert.ok(found, `a ${kind}`);
  return found;
}

/** Packages the install script installs for the server (the --test block's extras excluded). */
function scriptPackages(script: string): string[] {
  const withoutTestBlock = script.replace(/^if \[ "\$\{1:-\}" = --test \]; then[\s\S]*?^fi$/m, '');
  return [...withoutTestBlock.matchAll(/missing\+=\(([^)]+)\)/g)]
    .flatMap((m) => m[1].trim().split(/\s+/))
    .sort();
}

function dockerfilePackages(dockerfile: string): string[] {
  const install = /apt-get install -y --no-install-recommends ([^\\&\n]+)/.exec(dockerfile);
  assert.ok(install, 'the Dockerfile installs packages with apt-get');
  return install[1].trim().split(/\s+/).sort();
}

function dockerfileEnv(dockerfile: string): Record<string, string> {
  const env: Record<string, string> = {};
  const joined = dockerfile.replace(/\\\n/g, ' ');
  for (const line of joined.split('\n').filter((l) => /^ENV\s/.test(l))) {
    for (const m of line.slice(4).matchAll(/([A-Z_][A-Z0-9_]*)=(\S+)/g)) env[m[1]] = m[2];
  }
  return env;
}

function dockerfileVolumes(dockerfile: string): string[] {
  const volume = /^VOLUME (\[.*\])$/m.exec(dockerfile);
  assert.ok(volume, 'a VOLUME line');
  return JSON.parse(volume[1]) as string[];
}

/** The container of the Deployment, with its port names resolved. */
async function gatewayContainer(): Promise<{ container: Node; deployment: Node; objects: Node[] }> {
  const objects = await kubernetesObjects();
  const deployment = byKind(objects, 'Deployment');
  const container = at(deployment, 'spec', 'template', 'spec', 'containers', 0) as Node;
  return { container, deployment, objects };
}

function probePort(container: Node, probe: string): number {
  const port = at(container, probe, 'httpGet', 'port');
  if (typeof port === 'number') return port;
  const named = (at(container, 'ports') as Node[]).find((p) => p['name'] === port);
  assert.ok(named, `${probe} port '${String(port)}' names a container port`);
  return named['containerPort'] as number;
}

/** The environment the Deployment gives the gateway: its env entries and the Secret's keys (envFrom). */
async function kubernetesEnv(): Promise<Record<string, string>> {
  const { container, objects } = await gatewayContainer();
  const env: Record<string, string> = {};
  for (const entry of (at(container, 'env') as Node[]) ?? [])
    env[entry['name'] as string] = String(entry['value']);
  const secretName = at(container, 'envFrom', 0, 'secretRef', 'name');
  const secret = objects.find((o) => o['kind'] === 'Secret' && at(o, 'metadata', 'name') === secretName);
  assert.ok(secret, `the Secret ${String(secretName)} the Deployment reads`);
  for (const [name, value] of Object.entries((at(secret, 'stringData') as Node) ?? {}))
    env[name] = String(value);
  return env;
}

async function composeGateways(): Promise<Array<[string, Node]>> {
  const compose = (await yamlDocuments('docker-compose.yml'))[0];
  return Object.entries(at(compose, 'services') as Node).filter(
    ([, service]) => isNode(service) && 'build' in service,
  ) as Array<[string, Node]>;
}

describe('deployment files', () => {
  let t: TestGateway;
  before(async () => {
    t = await startTestGateway();
  });
  after(() => t.close());

  it('parse: every YAML file, the compose file with its merge keys, each Kubernetes object', async () => {
    const files = (await readdir(K8S)).filter((f) => f.endsWith('.yaml'));
    for (const file of files) await yamlDocuments(`deploy/kubernetes/${file}`);
    await yamlDocuments('docker-compose.yml');
    const kinds = (await kubernetesObjects()).map((o) => o['kind']);
    for (const kind of [
      'Deployment',
      'Service',
      'HorizontalPodAutoscaler',
      'PodDisruptionBudget',
      'Secret',
    ]) {
      assert.ok(kinds.includes(kind), `kustomization.yaml lists a ${kind}`);
    }
    const kustomization = (await yamlDocuments('deploy/kubernetes/kustomization.yaml'))[0];
    const generated = at(kustomization, 'configMapGenerator', 0, 'files') as string[];
    assert.deepEqual(generated, ['config.yaml'], 'the ConfigMap is generated from config.yaml');
    for (const resource of at(kustomization, 'resources') as string[])
      assert.ok(existsSync(join(K8S, resource)));
  });

  it('probe and health-check paths answer 200 on a real gateway, on the port the app listens on by default', async () => {
    const { container } = await gatewayContainer();
    const defaultPort = new ServerConfig().port;
    const dockerfile = await text('Dockerfile');
    const healthcheck = /^HEALTHCHECK[\s\S]*?CMD (.*)$/m.exec(dockerfile)?.[1] ?? '';
    const paths = new Map<string, number>([
      [
        /'(\/health\/[a-z]+)'/.exec(healthcheck)?.[1] ?? 'missing',
        Number(/\|\| (\d+)\)/.exec(healthcheck)?.[1]),
      ],
    ]);
    for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
      paths.set(at(container, probe, 'httpGet', 'path') as string, probePort(container, probe));
    }
    assert.equal(at(container, 'readinessProbe', 'httpGet', 'path'), '/health/ready');
    assert.equal(at(container, 'livenessProbe', 'httpGet', 'path'), '/health/live');
    assert.ok(paths.has('/health/live'), 'the Dockerfile HEALTHCHECK asks /health/live');
    for (const [path, port] of paths) {
      assert.equal(port, defaultPort, `${path} is probed on server.port's default`);
      const response = await fetch(`${t.url}${path}`);
      assert.equal(response.status, 200, `${path} answers`);
    }
    assert.equal(Number(/^EXPOSE (\d+)$/m.exec(dockerfile)?.[1]), defaultPort);
    for (const [name, service] of await composeGateways()) {
      const ports = (at(service, 'ports') as string[]).map((p) => Number(p.split(':').at(-1)));
      assert.deepEqual(ports, [defaultPort], `${name} publishes the container's ${defaultPort}`);
    }
    const service = byKind((await gatewayContainer()).objects, 'Service');
    assert.equal(at(service, 'spec', 'ports', 0, 'targetPort'), 'http');
  });

  it('sets only environment variables the app reads', async () => {
    const k8sEnv = await kubernetesEnv();
    const k8sConfig = parse(await text('deploy/kubernetes/config.yaml')) as Node;
    const apiKeyVariables = (['tts', 'stt', 'chat'] as const).flatMap((section) =>
      ((at(k8sConfig, 'engines', section) as Node[] | undefined) ?? []).map((e) =>
        at(e, 'options', 'api_key_env'),
      ),
    );
    const main = await text('src/main.ts');
    const script = await text('scripts/install-speech-packages.sh');
    const known = new Set<string>([
      ...ENV_OVERRIDES.map((o) => o.variable),
      ...apiKeyVariables.filter((v): v is string => typeof v === 'string'),
    ]);
    if (main.includes("process.env['SPEECH_GATEWAY_CONFIG']")) known.add('SPEECH_GATEWAY_CONFIG');
    if (script.includes('SPEECH_GATEWAY_SKIP_APT')) known.add('SPEECH_GATEWAY_SKIP_APT');
    const set: Array<[string, string]> = [
      ...Object.keys(dockerfileEnv(await text('Dockerfile'))).map((v): [string, string] => ['Dockerfile', v]),
      ...Object.keys(k8sEnv).map((v): [string, string] => ['deploy/kubernetes', v]),
    ];
    for (const [name, service] of await composeGateways()) {
      for (const v of Object.keys(at(service, 'environment') as Node))
        set.push([`docker-compose ${name}`, v]);
    }
    assert.ok(set.length > 5);
    for (const [where, variable] of set)
      assert.ok(known.has(variable), `${where} sets ${variable}, which the app does not read`);
  });

  it('installs in the image exactly the packages scripts/install-speech-packages.sh installs', async () => {
    const fromScript = scriptPackages(await text('scripts/install-speech-packages.sh'));
    assert.ok(fromScript.includes('ffmpeg') && fromScript.includes('pocketsphinx'), fromScript.join(' '));
    assert.deepEqual(dockerfilePackages(await text('Dockerfile')), fromScript);
  });

  it('builds a multi-stage bookworm-slim Node 20 image that runs unprivileged with its data in volumes', async () => {
    const dockerfile = await text('Dockerfile');
    const stages = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
    assert.ok(stages.length >= 2, 'multi-stage');
    for (const image of stages) assert.equal(image, 'node:20-bookworm-slim');
    const user = /^USER (\S+)$/m.exec(dockerfile)?.[1];
    assert.ok(user && user !== 'root' && user !== '0', 'runs as a non-root user');
    const volumes = dockerfileVolumes(dockerfile);
    const inVolume = (relative: string) =>
      volumes.some(
        (volume) =>
          posix.join('/app', relative).startsWith(`${volume}/`) || posix.join('/app', relative) === volume,
      );
    const paths = new PathsConfig();
    for (const folder of [
      paths.referenceAudio,
      paths.voices,
      paths.outputs,
      new DatabaseConfig().embedded.dataDir,
      BOOTSTRAP_KEY_FILE,
    ]) {
      assert.ok(!isAbsolute(folder) && inVolume(folder), `${folder} is in a volume (${volumes.join(', ')})`);
    }
    const configFile = dockerfileEnv(dockerfile)['SPEECH_GATEWAY_CONFIG'];
    assert.ok(volumes.includes(posix.dirname(configFile)), 'the config folder is a volume');
    const ignored = (await text('.dockerignore')).split('\n').map((l) => l.trim());
    for (const entry of ['node_modules', 'dist', '.git', 'data'])
      assert.ok(ignored.includes(entry), `.dockerignore ${entry}`);
    for (const needed of [
      'src',
      'migrations',
      'config',
      'package.json',
      'package-lock.json',
      'tsconfig.json',
    ]) {
      assert.ok(!ignored.includes(needed), `${needed} reaches the build`);
      assert.ok(existsSync(join(ROOT, needed)));
    }
  });

  it('runs two compose replicas on one PostgreSQL and one Redis', async () => {
    const compose = (await yamlDocuments('docker-compose.yml'))[0];
    const services = at(compose, 'services') as Node;
    assert.ok('postgres' in services && 'redis' in services);
    const gateways = await composeGateways();
    assert.equal(gateways.length, 2);
    for (const [, service] of gateways) {
      const env = at(service, 'environment') as Node;
      assert.match(String(env['DATABASE_URL']), /@postgres:5432\//);
      assert.equal(env['REDIS_URL'], 'redis://redis:6379');
      assert.equal(env['RATE_LIMIT_STORE'], 'redis');
    }
  });

  it('gives Kubernetes a valid config and a grace period longer than the preStop pause plus the shutdown timeout', async () => {
    const { deployment, container } = await gatewayContainer();
    const parsed = parseConfig(await text('deploy/kubernetes/config.yaml'), await kubernetesEnv());
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.errors.join('\n'));
    assert.equal(parsed.config.rateLimits.store, 'redis');
    const grace = at(deployment, 'spec', 'template', 'spec', 'terminationGracePeriodSeconds') as number;
    const preStop = at(container, 'lifecycle', 'preStop', 'exec', 'command') as string[];
    assert.equal(preStop[0], 'sleep');
    const pause = Number(preStop[1]);
    assert.ok(pause > 0);
    // After the timeout the gateway gives aborted requests and idle connections about 4 s more.
    const shutdown = parsed.config.server.shutdownTimeoutSeconds;
    assert.ok(
      grace > pause + shutdown + 5,
      `grace ${grace} s > preStop ${pause} s + shutdown ${shutdown} s + 5 s`,
    );
    assert.ok(
      at(container, 'resources', 'requests', 'memory') && at(container, 'resources', 'limits', 'memory'),
    );
    const hpa = byKind((await gatewayContainer()).objects, 'HorizontalPodAutoscaler');
    assert.equal(at(hpa, 'spec', 'scaleTargetRef', 'name'), at(deployment, 'metadata', 'name'));
    const pdb = byKind((await gatewayContainer()).objects, 'PodDisruptionBudget');
    assert.deepEqual(at(pdb, 'spec', 'selector'), at(deployment, 'spec', 'selector'));
  });
});
