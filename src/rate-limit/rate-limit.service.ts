import { Injectable } from '@nestjs/common';
import { AppError } from '../common/app-error.js';
import { configToDocument } from '../config/config.loader.js';
import { ConfigService } from '../config/config.service.js';
import { THROTTLERS, throttleKey } from './plan-throttler.guard.js';
import { RateLimitStorage } from './rate-limit.storage.js';
import { unauthenticatedKey } from './unauthenticated-rate-limiter.js';

const IDENTIFIER = /^(user:\d{1,10}|ip:[0-9A-Fa-f:.]{2,45})$/;

/** Reads and resets a tracker's counters, and shows the limits in force. */
@Injectable()
export class RateLimitService {
  constructor(
    private readonly storage: RateLimitStorage,
    private readonly config: ConfigService,
  ) {}

  private check(identifier: string): void {
    if (!IDENTIFIER.test(identifier)) {
      throw new AppError('VALIDATION_FAILED', 'The identifier must be user:<id> or ip:<address>.', {
        fields: [{ field: 'identifier', errors: ['identifier must look like user:42 or ip:10.0.0.1'] }],
      });
    }
  }

  async usage(identifier: string) {
    this.check(identifier);
    const windows = await Promise.all(
      THROTTLERS.map(async ({ name, ttlMs }) => ({
        window: name,
        window_seconds: ttlMs / 1000,
        ...(await this.storage.peek(throttleKey(name, identifier))),
      })),
    );
    return { identifier, windows, store: this.storage.state() };
  }

  async reset(identifier: string) {
    this.check(identifier);
    for (const { name } of THROTTLERS) await this.storage.reset(throttleKey(name, identifier));
    // An address also has the counter of its refused keys.
    if (identifier.startsWith('ip:')) await this.storage.reset(unauthenticatedKey(identifier.slice(3)));
    return { identifier, reset: true };
  }

  settings() {
    const document = configToDocument(this.config.current);
    const limits = document['rate_limits'] as Record<string, unknown>;
    return {
      enabled: limits['enabled'],
      default_plan: limits['default_plan'],
      plans: limits['plans'],
      windows: THROTTLERS.map(({ name, ttlMs }) => ({ name, seconds: ttlMs / 1000 })),
      store: this.storage.state(),
    };
  }
}
