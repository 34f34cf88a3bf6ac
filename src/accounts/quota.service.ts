import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import { AppError } from '../common/app-error.js';
import { ROOT_LOGGER } from '../common/injection-tokens.js';
import { ConfigService } from '../config/config.service.js';
import { QuotaRepository, roundSeconds, type UsageLogFields } from './quota.repository.js';

export const QUOTA_REMAINING_HEADER = 'X-Quota-Remaining';

/** Seconds held for one request between reserve() and commit()/release(). */
export interface QuotaReservation {
  /** The quota_reservations row. */
  id: string;
  userId: number;
  seconds: number;
  /** Quota seconds left once the reservation was taken. */
  remainingSeconds: number;
}

/**
 * Audio-second quotas: reserve an estimate before the engine runs, then commit the actual
 * seconds or release on failure. A failed or cancelled request charges nothing.
 *
 * Reservations are rows with an expiry. This server renews the ones it holds and sweeps
 * expired ones (at start and every auth.reservation_sweep_interval_seconds), so seconds
 * held by a server that died mid-request come back to their user without anyone's help.
 */
@Injectable()
export class QuotaService implements OnModuleInit, OnModuleDestroy {
  /** Reservations taken here and not settled yet: renewed on every sweep. */
  private readonly held = new Set<string>();
  private sweepTimer?: NodeJS.Timeout;
  private sweeping?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly quota: QuotaRepository,
    private readonly config: ConfigService,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.sweep();
    this.scheduleSweep();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.sweepTimer);
    // The database closes after the modules; a sweep under way finishes first.
    await this.sweeping;
  }

  /**
   * Reserves the estimate (or what is left, when that is at least `minimumSeconds`); a
   * refusal is 429 QUOTA_EXCEEDED and leaves a usage row
   * (status error, 0 s) written by the same statement.
   */
  async reserve(
    userId: number,
    estimateSeconds: number,
    log: UsageLogFields,
    minimumSeconds = estimateSeconds,
  ): Promise<QuotaReservation> {
    const seconds = roundSeconds(estimateSeconds);
    const minimum = roundSeconds(Math.min(minimumSeconds, estimateSeconds));
    const result = await this.quota.reserve(
      userId,
      seconds,
      this.config.current.auth.reservationTtlSeconds,
      log,
      minimum,
    );
    if ('refused' in result) throw exceeded(result.remaining, minimum);
    this.held.add(result.reservationId);
    return {
      id: result.reservationId,
      userId,
      seconds: roundSeconds(result.seconds),
      remainingSeconds: roundSeconds(result.remaining),
    };
  }

  /**
   * Reserve and commit at once, for an amount known before the work (a cached answer);
   * a refusal is logged like reserve()'s.
   */
  async charge(userId: number, seconds: number, log: UsageLogFields): Promise<number> {
    const amount = roundSeconds(seconds);
    const result = await this.quota.charge(userId, amount, log);
    if (result.refused) throw exceeded(result.remaining, amount);
    return roundSeconds(result.remaining);
  }

  /** Charges the actual seconds instead of the estimate; answers the seconds left. */
  async commit(reservation: QuotaReservation, actualSeconds: number, log: UsageLogFields): Promise<number> {
    return this.settle(reservation, actualSeconds, {
      ...log,
      audioSeconds: actualSeconds,
      status: 'success',
      errorCode: null,
    });
  }

  /**
   * Gives the reservation back, less `deliveredSeconds` (audio the client received before
   * the request failed, such as a stream it left), and logs the failure by its code.
   */
  async release(
    reservation: QuotaReservation,
    log: UsageLogFields,
    errorCode: string,
    deliveredSeconds = 0,
  ): Promise<number> {
    return this.settle(reservation, deliveredSeconds, {
      ...log,
      audioSeconds: deliveredSeconds,
      status: 'error',
      errorCode,
    });
  }

  private async settle(
    reservation: QuotaReservation,
    chargedSeconds: number,
    log: Parameters<QuotaRepository['settle']>[3],
  ): Promise<number> {
    try {
      return roundSeconds(await this.quota.settle(reservation.userId, reservation.id, chargedSeconds, log));
    } finally {
      // Settled, or the database failed: either way stop renewing. A reservation that could
      // not be settled then expires and the sweeper gives its seconds back.
      this.held.delete(reservation.id);
    }
  }

  /** Renews the reservations held here, then gives back the expired ones. Never throws. */
  async sweep(): Promise<void> {
    const ttl = this.config.current.auth.reservationTtlSeconds;
    try {
      await this.quota.renew([...this.held], ttl);
      const swept = await this.quota.sweepExpired();
      if (swept.released > 0) {
        this.logger.warn(
          { reservations: swept.released, seconds: swept.seconds },
          'expired quota reservations released (a server stopped before settling them)',
        );
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'quota reservation sweep failed; will retry');
    }
  }

  private scheduleSweep(): void {
    if (this.stopped) return;
    const { reservationSweepIntervalSeconds, reservationTtlSeconds } = this.config.current.auth;
    // Renewal must come round well before a held reservation would expire.
    const delayMs = Math.min(reservationSweepIntervalSeconds, reservationTtlSeconds / 3) * 1000;
    this.sweepTimer = setTimeout(() => {
      this.sweeping = this.sweep().finally(() => {
        this.sweeping = undefined;
        this.scheduleSweep();
      });
    }, delayMs);
    this.sweepTimer.unref();
  }
}

function exceeded(remaining: number, seconds: number): AppError {
  const left = roundSeconds(remaining);
  return new AppError(
    'QUOTA_EXCEEDED',
    `The quota does not cover this request: ${left} s left, about ${seconds} s needed.`,
    { remaining_seconds: left, needed_seconds: seconds },
    { [QUOTA_REMAINING_HEADER]: String(left) },
  );
}
