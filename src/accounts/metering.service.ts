import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { AppError } from '../common/app-error.js';
import { elapsedSeconds } from '../common/envelope.js';
import { ROOT_LOGGER } from '../common/injection-tokens.js';
import { type Account, RequestContextStore, type RequestContext } from '../common/request-context.js';
import { ConfigService } from '../config/config.service.js';
import { assertPlanAllows, planOf, type PlanFeatureUse } from './plan-policy.js';
import type { UsageLogFields } from './quota.repository.js';
import { type QuotaReservation, QuotaService } from './quota.service.js';
import { UsageRepository } from './usage.repository.js';
import { UserConcurrency } from './user-concurrency.js';

/** What a metered call is about; recorded in usage_logs. */
export interface MeteredCallSpec {
  /** Seconds reserved before the work starts (exact for cached answers, an estimate otherwise). */
  estimateSeconds: number;
  /**
   * For work that stops where its reservation ends: when less than the estimate is left,
   * what is left is reserved if it is at least this much (default: the whole estimate).
   */
  minimumSeconds?: number;
  /** Features the plan must include (403 PLAN_FEATURE_DISABLED otherwise). */
  uses?: PlanFeatureUse;
  voice?: string;
  engine?: string;
  model?: string;
  textLength?: number;
  /** Default: the matched route pattern. */
  endpoint?: string;
}

/** One call between reserve and settle. commit() and fail() settle it; later calls are ignored. */
export interface MeteredCall {
  /**
   * Seconds held from the quota for this call (Infinity when it is not metered): work whose
   * length is only known as it runs stops there, so it never costs more than was reserved.
   */
  readonly reservedSeconds: number;
  commit(actualSeconds: number): Promise<number | undefined>;
  /**
   * Settles a call that did not complete, logged by the error's code. `deliveredSeconds`:
   * audio the client already received (a stream it left), charged; default nothing.
   */
  fail(error: unknown, deliveredSeconds?: number): Promise<void>;
}

/** One chat (LLM) turn as usage_logs records it. */
export interface ChatUsageRecord {
  /** The engine that answered (or, for a failure, the last one tried). */
  engine: string;
  /** The `model` the client asked for, when it named one. */
  model?: string;
  /** Tokens the engine counted; absent when it counts none (the intents engine). */
  usage?: { promptTokens: number; completionTokens: number };
  status: 'success' | 'error';
  /** The AppError code the client got, for a failure. */
  errorCode?: string;
  /** Default: the time since the request started. */
  latencyMs?: number;
  /** Characters of the turn's text, when known. */
  textLength?: number;
}

const UNMETERED: MeteredCall = {
  reservedSeconds: Number.POSITIVE_INFINITY,
  commit: () => Promise.resolve(undefined),
  fail: () => Promise.resolve(),
};

function logOf(account: Account, context: RequestContext, spec: MeteredCallSpec): UsageLogFields {
  return {
    keyId: account.keyId,
    endpoint: spec.endpoint ?? context.endpoint ?? 'unknown',
    voice: spec.voice ?? context.voice,
    engine: spec.engine ?? context.engine,
    model: spec.model,
    textLength: spec.textLength,
    latencyMs: elapsedSeconds(context.startedAt) * 1000,
    requestId: context.requestId,
  };
}

/** Marks the request as being paid for, unless a shutdown has already cut it. */
function startCharging(context: RequestContext): void {
  if (context.chargeState === 'cut') throw cancelledByShutdown();
  context.chargeState = 'charging';
}

function cancelledByShutdown(): AppError {
  return new AppError('REQUEST_CANCELLED', 'The server shut down before the answer was sent.');
}

/** Waits for `work`, or `ms` at the most (then goes on; the work is not cancelled). */
async function settledWithin(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    work.then(
      () => undefined,
      () => undefined,
    ),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}

function errorCodeOf(error: unknown): string {
  return error instanceof AppError ? error.code : 'INTERNAL_ERROR';
}

/**
 * Quota metering for any endpoint that spends engine seconds: plan feature gates, a per-user
 * concurrency slot, then QuotaService.reserve → the work → commit(actual) or release. Usage
 * rows are written with the settlement. Callers: TtsService today; STT the same way.
 */
@Injectable()
export class MeteringService {
  private readonly concurrency = new UserConcurrency();
  /** Calls between begin and settle, each with a way to fail it (shutdown uses it). */
  private readonly open = new Set<MeteredCall>();
  private readonly noneOpenWaiters: Array<() => void> = [];

  constructor(
    private readonly config: ConfigService,
    private readonly quota: QuotaService,
    private readonly usage: UsageRepository,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * Writes the usage row of one chat turn for the current request's user: the engine, the
   * tokens it counted, 0 audio seconds (chat is not charged against the seconds quota). Does
   * nothing for unauthenticated work or with auth.metering off, like the other metering.
   * Called once the turn's answer is settled (a stream: after its end), so a failed write is
   * logged, not thrown: the client already has its answer.
   */
  async recordChat(record: ChatUsageRecord): Promise<void> {
    const context = RequestContextStore.current();
    const account = context?.account;
    if (!context || !account || !this.config.current.auth.metering) return;
    try {
      await this.usage.record({
        userId: account.userId,
        keyId: account.keyId,
        endpoint: context.endpoint ?? 'unknown',
        engine: record.engine,
        model: record.model,
        textLength: record.textLength,
        audioSeconds: 0,
        status: record.status,
        errorCode: record.status === 'error' ? (record.errorCode ?? 'INTERNAL_ERROR') : null,
        latencyMs: record.latencyMs ?? elapsedSeconds(context.startedAt) * 1000,
        requestId: context.requestId,
        promptTokens: record.usage?.promptTokens,
        completionTokens: record.usage?.completionTokens,
      });
    } catch (error) {
      this.logger.error(
        { err: error, userId: account.userId, engine: record.engine },
        'chat usage row not written',
      );
    }
  }

  /** The caller, its plan checked against the spec; undefined when nothing is to be metered. */
  private admit(spec: MeteredCallSpec) {
    const context = RequestContextStore.current();
    const account = context?.account;
    const settings = this.config.current;
    if (!context || !account) return undefined;
    const plan = planOf(settings, account.plan);
    if (spec.uses) assertPlanAllows(account.plan, plan, spec.uses);
    return settings.auth.metering ? { context, account, plan } : undefined;
  }

  /**
   * For work whose cost is known before it runs (a cached answer): plan checks, then the
   * charge and its usage row in one statement. Answers the seconds left.
   */
  async charge(spec: MeteredCallSpec): Promise<number | undefined> {
    const admitted = this.admit(spec);
    if (!admitted) return undefined;
    const { context, account } = admitted;
    startCharging(context);
    const remaining = await this.quota.charge(
      account.userId,
      spec.estimateSeconds,
      logOf(account, context, spec),
    );
    context.quotaRemainingSeconds = remaining;
    return remaining;
  }

  /** Checks the plan, takes a concurrency slot and reserves the estimate. */
  async begin(spec: MeteredCallSpec): Promise<MeteredCall> {
    const admitted = this.admit(spec);
    if (!admitted) return UNMETERED;
    const { context, account, plan } = admitted;
    const releaseSlot = this.concurrency.acquire(account.userId, plan.maxConcurrentRequests);
    let reservation: QuotaReservation;
    try {
      reservation = await this.quota.reserve(
        account.userId,
        spec.estimateSeconds,
        logOf(account, context, spec),
        spec.minimumSeconds,
      );
    } catch (error) {
      releaseSlot();
      throw error;
    }
    context.quotaRemainingSeconds = reservation.remainingSeconds;
    return this.callFor(reservation, account, context, spec, releaseSlot);
  }

  /** begin → work → commit(actual seconds) or fail. */
  async run<T>(spec: MeteredCallSpec, work: () => Promise<{ value: T; seconds: number }>): Promise<T> {
    const call = await this.begin(spec);
    let outcome: { value: T; seconds: number };
    try {
      outcome = await work();
    } catch (error) {
      await call.fail(error);
      throw error;
    }
    await call.commit(outcome.seconds);
    return outcome.value;
  }

  /**
   * For shutdown, once the requests were aborted: waits up to `graceMs` for the open calls
   * to settle by themselves, then fails the rest with `reason`, which releases their
   * reservations (and logs them) before the database closes. Answers how many were forced.
   */
  async settleOpenCalls(graceMs: number, reason: AppError): Promise<number> {
    await settledWithin(this.whenNoneOpen(), graceMs);
    const left = [...this.open];
    // Bounded too: a database that no longer answers must not hold shutdown forever.
    await settledWithin(Promise.all(left.map((call) => call.fail(reason))), graceMs);
    // A call that was already settling stays open until its statement returns.
    await settledWithin(this.whenNoneOpen(), graceMs);
    return left.length;
  }

  private whenNoneOpen(): Promise<void> {
    if (this.open.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.noneOpenWaiters.push(resolve));
  }

  private callFor(
    reservation: QuotaReservation,
    account: Account,
    context: RequestContext,
    spec: MeteredCallSpec,
    releaseSlot: () => void,
  ): MeteredCall {
    let settled = false;
    const log = () => logOf(account, context, spec);
    const done = () => {
      this.open.delete(call);
      releaseSlot();
      if (this.open.size === 0) for (const resolve of this.noneOpenWaiters.splice(0)) resolve();
    };
    const call: MeteredCall = {
      reservedSeconds: reservation.seconds,
      commit: async (actualSeconds) => {
        if (settled) return context.quotaRemainingSeconds;
        if (context.chargeState === 'cut') {
          // Shutdown cut the request before its charge: it delivers nothing, so it pays nothing.
          const error = cancelledByShutdown();
          await call.fail(error);
          throw error;
        }
        settled = true;
        startCharging(context);
        try {
          const remaining = await this.quota.commit(reservation, actualSeconds, log());
          context.quotaRemainingSeconds = remaining;
          return remaining;
        } finally {
          done();
        }
      },
      fail: async (error, deliveredSeconds = 0) => {
        if (settled) return;
        settled = true;
        try {
          context.quotaRemainingSeconds = await this.quota.release(
            reservation,
            log(),
            errorCodeOf(error),
            Math.min(deliveredSeconds, reservation.seconds),
          );
        } catch (releaseError) {
          // The request already failed; a failed release is logged, not thrown over the original
          // error. The reservation row stays and expires: the sweeper gives its seconds back.
          this.logger.error({ err: releaseError, userId: account.userId }, 'quota release failed');
        } finally {
          done();
        }
      },
    };
    this.open.add(call);
    return call;
  }
}
