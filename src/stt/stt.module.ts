import { Module } from '@nestjs/common';
import { AudioModule } from '../audio/audio.module.js';
import { EnginesModule } from '../engines/engines.module.js';
import { SttController } from './stt.controller.js';
import { SttService } from './stt.service.js';

@Module({
  imports: [AudioModule, EnginesModule],
  controllers: [SttController],
  providers: [SttService],
  exports: [SttService],
})
export class SttModule {}
