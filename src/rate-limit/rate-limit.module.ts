import { Global, Module } from '@nestjs/common';
import { RateLimitController } from './rate-limit.controller.js';
import { RateLimitService } from './rate-limit.service.js';
import { RateLimitStorage } from './rate-limit.storage.js';
import { UnauthenticatedRateLimiter } from './unauthenticated-rate-limiter.js';

/**
 * Per-plan rate limits; the guard itself is registered app-wide after the API-key guard,
 * which counts its own refusals per address with UnauthenticatedRateLimiter.
 */
@Global()
@Module({
  controllers: [RateLimitController],
  providers: [RateLimitStorage, RateLimitService, UnauthenticatedRateLimiter],
  exports: [RateLimitStorage, UnauthenticatedRateLimiter],
})
export class RateLimitModule {}
