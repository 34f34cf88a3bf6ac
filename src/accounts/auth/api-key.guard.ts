import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { AppError } from '../../common/app-error.js';
import { type Account, type ApiScope, RequestContextStore } from '../../common/request-context.js';
import { ConfigService } from '../../config/config.service.js';
import { routePatternOf } from '../../observability/request-observer.js';
import { UnauthenticatedRateLimiter } from '../../rate-limit/unauthenticated-rate-limiter.js';
import { AccountsService } from '../accounts.service.js';
import { API_KEY_PREFIX } from '../api-key-format.js';
import { ApiKeyService, invalidApiKey } from '../api-key.service.js';
import { type AccessRule, accessRuleOf } from './access.decorator.js';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** A key's own scopes; an admin key (admin user, admin scope) also has `ops`. */
export function hasScope(account: Account, scope: ApiScope): boolean {
  if (account.scopes.includes(scope)) return true;
  return scope === 'ops' && account.isAdmin && account.scopes.includes('admin');
}

/**
 * Bearer API keys on every route but the public ones; refusals (401) are rate-limited per
 * client address. With auth.enforce off, a request without one of our keys is served as the
 * development user; one of our keys (sgk_…) is always checked.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly config: ConfigService,
    private readonly apiKeys: ApiKeyService,
    private readonly accounts: AccountsService,
    private readonly unauthenticated: UnauthenticatedRateLimiter,
  ) {}

  /** Public routes and non-HTTP contexts answer synchronously: no promise, no key lookup. */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const rule = accessRuleOf(this.reflector, context);
    if (rule?.kind === 'public') return true;
    return this.authenticate(context, rule);
  }

  private async authenticate(context: ExecutionContext, rule: AccessRule | undefined): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request>();
    const account = await this.accountOf(req).catch(async (error: unknown) => {
      // A refused key never reaches the per-plan limiter: its address is counted here instead.
      if (error instanceof AppError && error.code === 'INVALID_API_KEY')
        await this.unauthenticated.countFailure(req);
      throw error;
    });
    if (rule?.kind === 'scope' && !hasScope(account, rule.scope)) {
      throw new AppError('INSUFFICIENT_SCOPE', `This key lacks the '${rule.scope}' scope.`, {
        required_scope: rule.scope,
      });
    }
    if (rule?.kind === 'admin' && !(account.isAdmin && account.scopes.includes('admin'))) {
      throw new AppError('FORBIDDEN', 'This endpoint needs an admin key.');
    }
    const requestContext = RequestContextStore.current();
    if (requestContext) {
      requestContext.account = account;
      // Keyless development requests stay known by their address, as the rate limiter counts them.
      if (account.keyId !== null) requestContext.principal = `user:${account.userId}`;
      requestContext.endpoint = routePatternOf(req);
    }
    return true;
  }

  private async accountOf(req: Request): Promise<Account> {
    const header = req.headers.authorization;
    const token = header === undefined ? undefined : BEARER.exec(header)?.[1];
    if (!this.config.current.auth.enforce && (token === undefined || !token.startsWith(API_KEY_PREFIX))) {
      // Keyless development: clients that must send some key (the OpenAI SDK) may send anything.
      return this.accounts.devAccount();
    }
    if (!token) throw invalidApiKey();
    return this.apiKeys.authenticate(token);
  }
}
