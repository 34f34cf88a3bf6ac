import { Module } from '@nestjs/common';
import { PusherAuthController } from './pusher-auth.controller.js';
import { RealtimePublisher } from './realtime-publisher.service.js';

/** Job events on Pusher Channels (`realtime.pusher`) and the subscription signer. */
@Module({
  controllers: [PusherAuthController],
  providers: [RealtimePublisher],
  exports: [RealtimePublisher],
})
export class RealtimeModule {}
