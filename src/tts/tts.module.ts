import { Module } from '@nestjs/common';
import { AudioModule } from '../audio/audio.module.js';
import { EnginesModule } from '../engines/engines.module.js';
import { AdminVoicesController } from './admin-voices.controller.js';
import { TtsCacheService } from './tts-cache.service.js';
import { TtsStatisticsService } from './tts-statistics.service.js';
import { TtsController } from './tts.controller.js';
import { TtsService } from './tts.service.js';
import { VoicesRepository } from './voices.repository.js';
import { VoicesService } from './voices.service.js';

@Module({
  imports: [AudioModule, EnginesModule],
  controllers: [TtsController, AdminVoicesController],
  providers: [TtsService, TtsCacheService, TtsStatisticsService, VoicesRepository, VoicesService],
  exports: [TtsService, VoicesService],
})
export class TtsModule {}
