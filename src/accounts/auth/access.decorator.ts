import { type ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import type { ApiScope } from '../../common/request-context.js';

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

/** The access rule declared on the handler or, failing that, its controller. */
export function accessRuleOf(reflector: Reflector, context: ExecutionContext): AccessRule | undefined {
  return reflector.getAllAndOverride<AccessRule | undefined>(ACCESS, [
    context.getHandler(),
    context.getClass(),
  ]);
}
