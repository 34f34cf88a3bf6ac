import { Global, Module } from '@nestjs/common';
import { RateLimitController } from './rate-limit.controller.js';
import { RateLimitService } from './rate-limit.service.js';
import { RateLimitStorage } from './rate-limit.storage.js';

/** Per-plan rate limits; the guard itself is registered app-wide after the API-key guard. */
@Global()
@Module({
  controllers: [RateLimitController],
  providers: [RateLimitStorage, RateLimitService],
  exports: [RateLimitStorage],
})
export class RateLimitModule {}
