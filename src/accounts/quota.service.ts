import { Injectable } from '@nestjs/common';
import { AppError } from '../common/app-error.js';
import { QuotaRepository, roundSeconds } from './quota.repository.js';
import type { UsageLogEntry } from './usage-log.js';

export const QUOTA_REMAINING_HEADER = 'X-Quota-Remaining';

/** Seconds held for one request between reserve() and commit()/release(). */
export interface QuotaReservation {
  userId: number;
  seconds: number;
  /** Quota seconds left once the reservation was taken. */
  remainingSeconds: number;
}

/**
 * Audio-second quotas: reserve an estimate before the engine runs, then commit the actual
 * seconds or release on failure. A failed or cancelled request charges nothing.
 */
@Injectable()
export class QuotaService {
  constructor(private readonly quota: QuotaRepository) {}

  async reserve(userId: number, estimateSeconds: number): Promise<QuotaReservation> {
    const seconds = roundSeconds(estimateSeconds);
    const remaining = await this.quota.reserve(userId, seconds);
    if (remaining === null) throw await this.exceeded(userId, seconds);
    return { userId, seconds, remainingSeconds: roundSeconds(remaining) };
  }

  /** Reserve and commit at once, for an amount known before the work (a cached answer). */
  async charge(
    userId: number,
    seconds: number,
    log: Omit<UsageLogEntry, 'userId' | 'audioSeconds' | 'status'>,
  ): Promise<number> {
    const amount = roundSeconds(seconds);
    const remaining = await this.quota.charge(amount, {
      ...log,
      userId,
      audioSeconds: amount,
      status: 'success',
    });
    if (remaining === null) throw await this.exceeded(userId, amount);
    return roundSeconds(remaining);
  }

  private async exceeded(userId: number, seconds: number): Promise<AppError> {
    const left = roundSeconds(await this.quota.remaining(userId));
    return new AppError(
      'QUOTA_EXCEEDED',
      `The quota does not cover this request: ${left} s left, about ${seconds} s needed.`,
      { remaining_seconds: left, needed_seconds: seconds },
      { [QUOTA_REMAINING_HEADER]: String(left) },
    );
  }

  /** Charges the actual seconds instead of the estimate; answers the seconds left. */
  async commit(
    reservation: QuotaReservation,
    actualSeconds: number,
    log: Omit<UsageLogEntry, 'userId' | 'audioSeconds' | 'status'>,
  ): Promise<number> {
    const remaining = await this.quota.settle(reservation.seconds, actualSeconds, {
      ...log,
      userId: reservation.userId,
      audioSeconds: actualSeconds,
      status: 'success',
    });
    return roundSeconds(remaining);
  }

  /** Gives the reservation back and logs the failure by its code. */
  async release(
    reservation: QuotaReservation,
    log: Omit<UsageLogEntry, 'userId' | 'audioSeconds' | 'status'>,
  ): Promise<number> {
    const remaining = await this.quota.settle(reservation.seconds, 0, {
      ...log,
      userId: reservation.userId,
      audioSeconds: 0,
      status: 'error',
    });
    return roundSeconds(remaining);
  }
}
