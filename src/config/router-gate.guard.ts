import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AppError } from '../common/app-error.js';
import { assertNever } from '../common/error-code.js';
import type { AppConfig, RouterName } from './config.schema.js';
import { ConfigService } from './config.service.js';
import { routeMetadataCache } from '../common/route-metadata.js';
import { ROUTER_GATE } from './router-gate.decorator.js';

const routerGates = routeMetadataCache<RouterName>(ROUTER_GATE);

/** Whether a router answers under the live config, and if not, why. */
export function routerDisabledReason(config: AppConfig, router: RouterName): string | null {
  const core = config.routers.core;
  const management = config.routers.management;
  switch (router) {
    case 'core.tts':
    case 'core.stt':
    case 'core.conversation':
    case 'core.jobs': {
      if (!config.features.useNewRouters) return 'features.use_new_routers is off';
      const name = router.slice('core.'.length) as 'tts' | 'stt' | 'conversation' | 'jobs';
      return core[name].enabled ? null : `routers.${router}.enabled is off`;
    }
    case 'management.config':
      return management.config.enabled ? null : 'routers.management.config.enabled is off';
    case 'management.files':
      return management.files.enabled ? null : 'routers.management.files.enabled is off';
    case 'management.ui':
      return management.ui.enabled ? null : 'routers.management.ui.enabled is off';
    default:
      return assertNever(router);
  }
}

/**
 * Routers switched off in config.yaml answer 404 FEATURE_DISABLED: to a client the
 * feature does not exist on this server; the message says which switch to flip. The
 * switch is read on every request, so a change applies without a restart (which router a
 * route belongs to is looked up once per route).
 */
@Injectable()
export class RouterGateGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly config: ConfigService,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const router = routerGates.of(this.reflector, context);
    if (!router) return true;
    const reason = routerDisabledReason(this.config.current, router);
    if (reason) {
      throw new AppError('FEATURE_DISABLED', `The ${router} router is disabled on this server (${reason}).`, {
        router,
      });
    }
    return true;
  }
}
