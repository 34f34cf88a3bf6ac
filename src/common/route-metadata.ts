import type { ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';

/** A route handler or its controller class, as ExecutionContext names them. */
type Target = (...args: never[]) => unknown;

/**
 * A per-route value worked out once from decorator metadata, which is fixed once the
 * classes are defined: the global guards and interceptors would otherwise ask the
 * Reflector the same questions on every request.
 *
 * Keyed by the controller class, then the handler: a handler inherited by a subclass can
 * carry different class-level metadata there.
 */
export class RouteMetadataCache<T> {
  private readonly byClass = new WeakMap<Target, WeakMap<Target, T>>();

  constructor(private readonly resolve: (reflector: Reflector, handler: Target, controller: Target) => T) {}

  of(reflector: Reflector, context: ExecutionContext): T {
    const handler = context.getHandler() as Target;
    const controller = context.getClass() as unknown as Target;
    let handlers = this.byClass.get(controller);
    if (handlers === undefined) {
      handlers = new WeakMap<Target, T>();
      this.byClass.set(controller, handlers);
    }
    if (handlers.has(handler)) return handlers.get(handler) as T;
    const value = this.resolve(reflector, handler, controller);
    handlers.set(handler, value);
    return value;
  }
}

/** The metadata key's value on the handler or, failing that, its controller (Reflector.getAllAndOverride). */
export function routeMetadataCache<T>(key: string): RouteMetadataCache<T | undefined> {
  return new RouteMetadataCache((reflector, handler, controller) =>
    reflector.getAllAndOverride<T | undefined>(key, [handler, controller]),
  );
}
