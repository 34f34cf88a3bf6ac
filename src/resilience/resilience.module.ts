import { Module } from '@nestjs/common';
import { EnginesModule } from '../engines/engines.module.js';
import { ResilienceController } from './resilience.controller.js';

@Module({ imports: [EnginesModule], controllers: [ResilienceController] })
export class ResilienceModule {}
