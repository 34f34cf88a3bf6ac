import { type ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import type { ApiScope } from '../../common/request-context.js';
import { routeMetadataCache } from '../../common/route-metadata.js';

export const ACCESS = 'speech-gateway:access';

/** Who may call a route. Routes without a declaration need any valid key. */
export type AccessRule = { kind: 'public' } | { kind: 'scope'; scope: ApiScope } | { kind: 'admin' };

/** No key needed (health checks). */
export const Public = (): ClassDecorator & MethodDecorator =>
  SetMetadata(ACCESS, { kind: 'public' } satisfies AccessRule);

/** A key with this scope (403 INSUFFICIENT_SCOPE otherwise). */
export const RequireScope = (scope: ApiScope): ClassDecorator & MethodDecorator =>
  SetMetadata(ACCESS, { kind: 'scope', scope } satisfies AccessRule);

/** An admin user's key with the admin scope (403 otherwise). */
export const AdminOnly = (): ClassDecorator & MethodDecorator =>
  SetMetadata(ACCESS, { kind: 'admin' } satisfies AccessRule);

const accessRules = routeMetadataCache<AccessRule>(ACCESS);

/** The access rule declared on the handler or, failing that, its controller (looked up once per route). */
export function accessRuleOf(reflector: Reflector, context: ExecutionContext): AccessRule | undefined {
  return accessRules.of(reflector, context);
}
