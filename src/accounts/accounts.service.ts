import { Injectable, Optional } from '@nestjs/common';
import { AppError } from '../common/app-error.js';
import { API_SCOPES, type Account, DEFAULT_KEY_SCOPES } from '../common/request-context.js';
import { ConfigService } from '../config/config.service.js';
import { type IssuedApiKey, ApiKeyService } from './api-key.service.js';
import { ApiKeysRepository } from './api-keys.repository.js';
import { KeyChangeNotices } from './auth/key-change-notices.js';
import type { KeyChange } from './auth/verified-key-cache.js';
import { isPlanName, planOf } from './plan-policy.js';
import type { User } from './user.js';
import { type UserChanges, UsersRepository } from './users.repository.js';

export const DEV_USER_EMAIL = 'dev@localhost';
export const BOOTSTRAP_ADMIN_EMAIL = 'admin@localhost';
/** The keyless development user is not meant to run out. */
const DEV_USER_QUOTA_SECONDS = 1e9;

/** Users and their keys: the rules the admin API and the CLI share. */
@Injectable()
export class AccountsService {
  private devAccountPromise?: Promise<Account>;

  constructor(
    private readonly users: UsersRepository,
    private readonly keys: ApiKeysRepository,
    private readonly apiKeys: ApiKeyService,
    private readonly config: ConfigService,
    @Optional() private readonly notices?: KeyChangeNotices,
  ) {}

  /** Verified keys a change made stale stop working now here, and on the other nodes. */
  private changed(change: KeyChange): void {
    if (this.notices) this.notices.announce(change);
    else this.apiKeys.forget(change);
  }

  private assertPlan(plan: string): void {
    if (!isPlanName(this.config.current, plan)) {
      throw new AppError('VALIDATION_FAILED', `No plan '${plan}' in rate_limits.plans.`, {
        fields: [
          {
            field: 'plan',
            errors: [`plan must be one of: ${Object.keys(this.config.current.rateLimits.plans).join(', ')}`],
          },
        ],
      });
    }
  }

  async createUser(args: {
    name: string;
    email: string;
    plan?: string;
    quotaSeconds?: number;
    usedSeconds?: number;
    isAdmin?: boolean;
  }): Promise<User> {
    const planName = args.plan ?? this.config.current.rateLimits.defaultPlan;
    this.assertPlan(planName);
    const user = await this.users.insert({
      name: args.name,
      email: args.email.toLowerCase(),
      plan: planName,
      quotaSeconds: args.quotaSeconds ?? planOf(this.config.current, planName).quotaSeconds,
      usedSeconds: args.usedSeconds,
      isAdmin: args.isAdmin,
    });
    if (!user) throw new AppError('CONFLICT', `A user with email '${args.email}' already exists.`);
    return user;
  }

  async getUser(id: number): Promise<User> {
    const user = await this.users.findById(id);
    if (!user) throw new AppError('NOT_FOUND', `No user ${id}.`);
    return user;
  }

  async userByEmail(email: string): Promise<User> {
    const user = await this.users.findByEmail(email.toLowerCase());
    if (!user) throw new AppError('NOT_FOUND', `No user with email '${email}'.`);
    return user;
  }

  listUsers(limit: number, offset: number): Promise<User[]> {
    return this.users.list(limit, offset);
  }

  async updateUser(id: number, changes: UserChanges): Promise<User> {
    if (changes.plan !== undefined) this.assertPlan(changes.plan);
    const user = await this.users.update(id, changes);
    if (!user) throw new AppError('NOT_FOUND', `No user ${id}.`);
    this.changed({ userId: id });
    return user;
  }

  async issueKey(
    userId: number,
    args: { name: string; scopes?: Account['scopes']; expiresAt?: Date | null },
  ): Promise<IssuedApiKey> {
    const user = await this.getUser(userId);
    if (args.scopes?.includes('admin') && !user.isAdmin) {
      throw new AppError('VALIDATION_FAILED', 'Only admin users can hold keys with the admin scope.', {
        fields: [{ field: 'scopes', errors: ['admin scope needs an admin user'] }],
      });
    }
    return this.apiKeys.issue({ userId, ...args });
  }

  async keyOf(userId: number, keyId: string) {
    const key = await this.keys.findForUser(userId, keyId);
    if (!key) throw new AppError('NOT_FOUND', `User ${userId} has no key '${keyId}'.`);
    return key;
  }

  keysOf(userId: number) {
    return this.keys.listForUser(userId);
  }

  async revokeKey(userId: number, keyId: string): Promise<void> {
    await this.keyOf(userId, keyId);
    await this.keys.revoke(keyId);
    this.changed({ keyId });
  }

  async rotateKey(userId: number, keyId: string, graceHours?: number): Promise<IssuedApiKey> {
    const key = await this.keyOf(userId, keyId);
    if (key.revokedAt) throw new AppError('CONFLICT', `Key '${keyId}' is revoked; issue a new one instead.`);
    const issued = await this.apiKeys.rotate(
      key,
      graceHours ?? this.config.current.auth.keyRotationGraceHours,
    );
    this.changed({ keyId });
    return issued;
  }

  /**
   * A new key for every active user; old keys keep working for the rotation grace period.
   * The migration guide's "regenerate all keys" step.
   */
  async regenerateAllKeys(): Promise<Array<{ user: User; issued: IssuedApiKey }>> {
    const grace = this.config.current.auth.keyRotationGraceHours;
    const out: Array<{ user: User; issued: IssuedApiKey }> = [];
    for (const user of await this.users.listActive()) {
      if (user.email === DEV_USER_EMAIL) continue;
      const old = (await this.keys.listForUser(user.id)).filter((k) => !k.revokedAt);
      const scopes = user.isAdmin ? [...API_SCOPES] : [...DEFAULT_KEY_SCOPES];
      const issued = await this.apiKeys.issue({ userId: user.id, name: 'regenerated', scopes });
      for (const key of old) {
        await this.keys.expireBy(key.keyId, new Date(Date.now() + grace * 3_600_000));
        this.changed({ keyId: key.keyId });
      }
      out.push({ user, issued });
    }
    return out;
  }

  /**
   * When no admin exists yet, creates one and answers its key (shown once); null otherwise.
   * Two nodes starting together race on the unique email: only the one that inserts issues a key.
   */
  async bootstrapAdmin(): Promise<IssuedApiKey | null> {
    if (await this.users.hasActiveAdmin(DEV_USER_EMAIL)) return null;
    const plans = this.config.current.rateLimits.plans;
    // The most generous plan: an operator setting up accounts should not hit the free plan's limits.
    const planName = Object.keys(plans).sort(
      (a, b) =>
        plans[b].requestsPerMinute - plans[a].requestsPerMinute ||
        plans[b].quotaSeconds - plans[a].quotaSeconds,
    )[0];
    const user = await this.users.insert({
      name: 'Administrator',
      email: BOOTSTRAP_ADMIN_EMAIL,
      plan: planName,
      quotaSeconds: plans[planName].quotaSeconds,
      isAdmin: true,
    });
    if (!user) return null;
    return this.apiKeys.issue({ userId: user.id, name: 'bootstrap', scopes: [...API_SCOPES] });
  }

  /** The keyless development user (auth.enforce: false): an admin with every scope. */
  devAccount(): Promise<Account> {
    this.devAccountPromise ??= this.ensureDevUser().catch((error: unknown) => {
      this.devAccountPromise = undefined;
      throw error;
    });
    return this.devAccountPromise;
  }

  private async ensureDevUser(): Promise<Account> {
    const plan = this.config.current.auth.devUserPlan;
    const user =
      (await this.users.insert({
        name: 'Development user',
        email: DEV_USER_EMAIL,
        plan,
        quotaSeconds: DEV_USER_QUOTA_SECONDS,
        isAdmin: true,
      })) ?? (await this.userByEmail(DEV_USER_EMAIL));
    return { userId: user.id, keyId: null, plan: user.plan, isAdmin: true, scopes: [...API_SCOPES] };
  }
}
