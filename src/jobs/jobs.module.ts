import { Module } from '@nestjs/common';
import { FilesModule } from '../files/files.module.js';
import { RealtimeModule } from '../realtime/realtime.module.js';
import { SttModule } from '../stt/stt.module.js';
import { TtsModule } from '../tts/tts.module.js';
import { JobRunner } from './job-runner.service.js';
import { JobsController } from './jobs.controller.js';
import { JobsRepository } from './jobs.repository.js';
import { JobsService } from './jobs.service.js';
import { WebhookNotifier } from './webhooks/webhook-notifier.service.js';
import { WebhooksRepository } from './webhooks/webhooks.repository.js';

/** Background TTS/STT jobs on a durable queue, their progress, cancel, webhooks and realtime events. */
@Module({
  imports: [TtsModule, SttModule, FilesModule, RealtimeModule],
  controllers: [JobsController],
  providers: [JobsRepository, JobsService, JobRunner, WebhooksRepository, WebhookNotifier],
})
export class JobsModule {}
