import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ExecutionContext, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { RouteMetadataCache, routeMetadataCache } from './route-metadata.js';

const KEY = 'test:route-metadata';

@SetMetadata(KEY, 'class')
class Base {
  plain(this: void): void {}

  @SetMetadata(KEY, 'handler')
  marked(this: void): void {}
}

@SetMetadata(KEY, 'subclass')
class Derived extends Base {}

class Bare {
  plain(this: void): void {}
}

function contextOf(controller: abstract new () => unknown, handler: (this: void) => void): ExecutionContext {
  return { getClass: () => controller, getHandler: () => handler } as unknown as ExecutionContext;
}

describe('routeMetadataCache', () => {
  const reflector = new Reflector();

  it('answers the handler’s value, else its controller’s, else undefined', () => {
    const cache = routeMetadataCache<string>(KEY);
    assert.equal(cache.of(reflector, contextOf(Base, Base.prototype.marked)), 'handler');
    assert.equal(cache.of(reflector, contextOf(Base, Base.prototype.plain)), 'class');
    assert.equal(cache.of(reflector, contextOf(Bare, Bare.prototype.plain)), undefined);
  });

  it('keeps an inherited handler’s value per controller class', () => {
    const cache = routeMetadataCache<string>(KEY);
    assert.equal(cache.of(reflector, contextOf(Base, Base.prototype.plain)), 'class');
    assert.equal(cache.of(reflector, contextOf(Derived, Derived.prototype.plain)), 'subclass');
  });

  it('works a route’s value out once, undefined included', () => {
    let lookups = 0;
    const cache = new RouteMetadataCache((reflector, handler, controller) => {
      lookups += 1;
      return reflector.getAllAndOverride<string | undefined>(KEY, [handler, controller]);
    });
    for (let i = 0; i < 3; i++) {
      cache.of(reflector, contextOf(Base, Base.prototype.marked));
      cache.of(reflector, contextOf(Bare, Bare.prototype.plain));
    }
    assert.equal(lookups, 2);
  });
});
