import { open, readFile } from 'node:fs/promises';
import type { DataSource } from 'typeorm';
import { AppError } from '../common/app-error.js';
import { API_SCOPES, type ApiScope } from '../common/request-context.js';
import type { ConfigService } from '../config/config.service.js';
import { VOICE_GENDERS, type VoiceGender } from '../engines/ports/engine-health.js';
import { VoicesRepository } from '../tts/voices.repository.js';
import { AccountsService } from './accounts.service.js';
import { apiKeyJson } from './api-key.js';
import { ApiKeyService } from './api-key.service.js';
import { ApiKeysRepository } from './api-keys.repository.js';
import { parseMigrationData } from './migration-import.js';
import { userJson } from './user.js';
import { UsersRepository } from './users.repository.js';

/* The accounts part of the admin CLI: users, keys, voices and the migration import. */

export const ACCOUNTS_USAGE = `  users create --name N --email E [--plan P] [--quota SECONDS] [--admin]
  users list
  users update --email E [--plan P] [--quota SECONDS] [--deactivate]
  keys create --email E [--name N] [--scopes tts,stt,…]   prints the key once
  keys list --email E
  keys rotate --key-id K [--grace-hours H]                 old key works H more hours
  keys revoke --key-id K
  keys regenerate-all --out FILE                           a new key per user, to FILE (mode 0600)
  voices list
  voices create --name N --engine E --engine-voice-id V --language L [--gender G]
  voices deactivate --name N
  import FILE [--engine E]                                 OdeaDev migration_data.json (voices' engine: minimax)`;

export interface AccountsCliOptions {
  name?: string;
  email?: string;
  plan?: string;
  quota?: string;
  admin?: boolean;
  deactivate?: boolean;
  scopes?: string;
  'key-id'?: string;
  'grace-hours'?: string;
  out?: string;
  engine?: string;
  'engine-voice-id'?: string;
  language?: string;
  gender?: string;
}

export const ACCOUNTS_CLI_OPTIONS = {
  name: { type: 'string' },
  email: { type: 'string' },
  plan: { type: 'string' },
  quota: { type: 'string' },
  admin: { type: 'boolean' },
  deactivate: { type: 'boolean' },
  scopes: { type: 'string' },
  'key-id': { type: 'string' },
  'grace-hours': { type: 'string' },
  out: { type: 'string' },
  engine: { type: 'string' },
  'engine-voice-id': { type: 'string' },
  language: { type: 'string' },
  gender: { type: 'string' },
} as const;

function required(value: string | undefined, flag: string): string {
  if (!value) throw new AppError('VALIDATION_FAILED', `--${flag} is required`);
  return value;
}

function seconds(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isFinite(number) || number < 0)
    throw new AppError('VALIDATION_FAILED', `--${flag} must be seconds ≥ 0`);
  return number;
}

function scopesOf(value: string | undefined): ApiScope[] | undefined {
  if (value === undefined) return undefined;
  const scopes = value.split(',').map((s) => s.trim());
  for (const scope of scopes) {
    if (!(API_SCOPES as readonly string[]).includes(scope)) {
      throw new AppError('VALIDATION_FAILED', `unknown scope '${scope}' (one of ${API_SCOPES.join(', ')})`);
    }
  }
  return scopes as ApiScope[];
}

/** Runs one accounts command; answers the lines to print. */
export async function runAccountsCommand(
  dataSource: DataSource,
  config: ConfigService,
  positionals: string[],
  options: AccountsCliOptions,
): Promise<string[]> {
  const users = new UsersRepository(dataSource);
  const keys = new ApiKeysRepository(dataSource);
  const apiKeys = new ApiKeyService(keys);
  const accounts = new AccountsService(users, keys, apiKeys, config);
  const voices = new VoicesRepository(dataSource);
  const [command, action] = positionals;
  const json = (value: unknown) => JSON.stringify(value);

  if (command === 'import') {
    return importMigrationData(accounts, voices, required(action, 'FILE'), options.engine ?? 'minimax');
  }
  switch (`${command} ${action ?? ''}`.trim()) {
    case 'users create': {
      const user = await accounts.createUser({
        name: required(options.name, 'name'),
        email: required(options.email, 'email'),
        plan: options.plan,
        quotaSeconds: seconds(options.quota, 'quota'),
        isAdmin: options.admin,
      });
      return [json(userJson(user))];
    }
    case 'users list':
      return (await accounts.listUsers(10_000, 0)).map((user) => json(userJson(user)));
    case 'users update': {
      const user = await accounts.userByEmail(required(options.email, 'email'));
      const updated = await accounts.updateUser(user.id, {
        plan: options.plan,
        quotaSeconds: seconds(options.quota, 'quota'),
        isActive: options.deactivate ? false : undefined,
      });
      return [json(userJson(updated))];
    }
    case 'keys create': {
      const user = await accounts.userByEmail(required(options.email, 'email'));
      const issued = await accounts.issueKey(user.id, {
        name: options.name ?? 'cli',
        scopes: scopesOf(options.scopes),
      });
      return [`api_key: ${issued.token}`, '(shown once; store it now)', json(apiKeyJson(issued.key))];
    }
    case 'keys list': {
      const user = await accounts.userByEmail(required(options.email, 'email'));
      return (await accounts.keysOf(user.id)).map((key) => json(apiKeyJson(key)));
    }
    case 'keys rotate':
    case 'keys revoke': {
      const keyId = required(options['key-id'], 'key-id');
      const key = await keys.findByKeyId(keyId);
      if (!key) throw new AppError('NOT_FOUND', `no key '${keyId}'`);
      if (action === 'revoke') {
        await accounts.revokeKey(key.userId, keyId);
        return [`revoked ${keyId}`];
      }
      const issued = await accounts.rotateKey(
        key.userId,
        keyId,
        seconds(options['grace-hours'], 'grace-hours'),
      );
      return [`api_key: ${issued.token}`, `(replaces ${keyId}; shown once)`, json(apiKeyJson(issued.key))];
    }
    case 'keys regenerate-all': {
      const out = required(options.out, 'out');
      // Created exclusively with owner-only permissions before any key exists.
      const file = await open(out, 'wx', 0o600);
      try {
        const issued = await accounts.regenerateAllKeys();
        await file.writeFile(
          [
            'email,key_id,api_key',
            ...issued.map(({ user, issued: i }) => `${user.email},${i.key.keyId},${i.token}`),
          ]
            .join('\n')
            .concat('\n'),
        );
        return [
          `${issued.length} keys written to ${out} (mode 0600); old keys expire after the grace period`,
        ];
      } finally {
        await file.close();
      }
    }
    case 'voices list':
      return (await voices.findActive({})).map((v) =>
        json({
          name: v.friendlyName,
          engine: v.engine,
          engine_voice_id: v.engineVoiceId,
          language: v.language,
        }),
      );
    case 'voices create': {
      const gender = options.gender ?? 'unknown';
      if (!(VOICE_GENDERS as readonly string[]).includes(gender)) {
        throw new AppError('VALIDATION_FAILED', `--gender must be one of ${VOICE_GENDERS.join(', ')}`);
      }
      const created = await voices.insertOne({
        friendlyName: required(options.name, 'name'),
        engine: required(options.engine, 'engine'),
        engineVoiceId: required(options['engine-voice-id'], 'engine-voice-id'),
        language: required(options.language, 'language').toLowerCase(),
        gender: gender as VoiceGender,
        description: null,
        isActive: true,
      });
      if (!created) throw new AppError('CONFLICT', `voice '${options.name}' exists`);
      return [`created voice ${created.friendlyName}`];
    }
    case 'voices deactivate': {
      const name = required(options.name, 'name');
      if (!(await voices.updateByName(name, { isActive: false })))
        throw new AppError('NOT_FOUND', `no voice '${name}'`);
      return [`deactivated voice ${name}`];
    }
    default:
      throw new AppError('ROUTE_NOT_FOUND', `unknown command: ${positionals.join(' ')}`);
  }
}

async function importMigrationData(
  accounts: AccountsService,
  voices: VoicesRepository,
  path: string,
  engine: string,
): Promise<string[]> {
  const data = parseMigrationData(await readFile(path, 'utf8'));
  const lines = data.rejected.map((reason) => `skipped ${reason}`);
  let usersAdded = 0;
  for (const user of data.users) {
    try {
      await accounts.createUser(user);
      usersAdded++;
    } catch (error) {
      lines.push(`skipped user ${user.email}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  let voicesAdded = 0;
  for (const voice of data.voices) {
    const created = await voices.insertOne({ ...voice, engine, description: null, isActive: true });
    if (created) voicesAdded++;
    else lines.push(`skipped voice ${voice.friendlyName}: exists`);
  }
  lines.push(
    `imported ${usersAdded} users and ${voicesAdded} voices`,
    'next: npm run cli -- keys regenerate-all --out keys.csv (old keys cannot be carried over)',
  );
  return lines;
}
