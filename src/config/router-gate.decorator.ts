import { SetMetadata } from '@nestjs/common';
import type { RouterName } from './config.schema.js';

export const ROUTER_GATE = 'speech-gateway:router-gate';

/** Marks a controller as part of a router that config.yaml can switch off. */
export const RouterGate = (router: RouterName): ClassDecorator & MethodDecorator =>
  SetMetadata(ROUTER_GATE, router);
