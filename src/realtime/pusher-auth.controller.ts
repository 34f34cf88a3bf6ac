import { Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiConsumes, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { AppError } from '../common/app-error.js';
import { RawResponse } from '../common/raw-response.decorator.js';
import { RequestContextStore } from '../common/request-context.js';
import { userChannelOf } from './pusher-client.js';
import { RealtimePublisher } from './realtime-publisher.service.js';

/** Pusher's socket ids: two integers joined by a dot. */
const SOCKET_ID = /^\d{1,20}\.\d{1,20}$/;
/** Pusher's channel name alphabet and length. */
const CHANNEL_NAME = /^[A-Za-z0-9_\-=@,.;]{1,200}$/;
/** A form body holds two short fields; anything longer is not an auth request. */
const MAX_FORM_BYTES = 4096;

function invalid(field: string, problem: string): AppError {
  return new AppError('VALIDATION_FAILED', `${field} ${problem}.`, {
    fields: [{ field, errors: [`${field} ${problem}`] }],
  });
}

/** The JSON body (parsed by the gateway) or the form body pusher-js sends by default. */
async function fieldsOf(req: Request): Promise<Record<string, unknown>> {
  if (req.is('application/x-www-form-urlencoded')) {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_FORM_BYTES) throw invalid('body', `is longer than ${MAX_FORM_BYTES} bytes`);
      chunks.push(chunk);
    }
    return Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
  }
  const body: unknown = req.body;
  return body !== null && typeof body === 'object' && !Array.isArray(body)
    ? (body as Record<string, unknown>)
    : {};
}

/**
 * Authorizes a Pusher client to subscribe to the caller's own private channel
 * (`<channel_prefix><user id>`), which carries the events of the caller's jobs. Any valid key
 * may call it; another channel is 403.
 */
@ApiTags('realtime')
@Controller('pusher')
export class PusherAuthController {
  constructor(private readonly realtime: RealtimePublisher) {}

  @Post('auth')
  @HttpCode(200)
  @RawResponse()
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiOperation({
    summary:
      'Sign a Pusher subscription (socket_id, channel_name) to your own private-user-<id> channel; answers {auth}',
  })
  async authorize(@Req() req: Request): Promise<{ auth: string }> {
    const client = this.realtime.pusher();
    if (!client) {
      throw new AppError('FEATURE_DISABLED', 'Realtime events are off: realtime.pusher is not configured.');
    }
    const account = RequestContextStore.current()?.account;
    if (!account) throw new AppError('INVALID_API_KEY', 'An API key is needed.');
    const fields = await fieldsOf(req);
    const socketId = fields['socket_id'];
    const channel = fields['channel_name'];
    if (typeof socketId !== 'string' || !SOCKET_ID.test(socketId)) {
      throw invalid('socket_id', 'must be a Pusher socket id (digits.digits)');
    }
    if (typeof channel !== 'string' || !CHANNEL_NAME.test(channel)) {
      throw invalid('channel_name', 'must be a Pusher channel name');
    }
    if (channel !== userChannelOf(client.settings, account.userId)) {
      throw new AppError('FORBIDDEN', 'This key may subscribe to its own channel only.');
    }
    const { auth } = client.pusher.authorizeChannel(socketId, channel);
    return { auth };
  }
}
