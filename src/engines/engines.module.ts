import { Module } from '@nestjs/common';
import { EngineRegistry } from './engine-registry.js';

@Module({ providers: [EngineRegistry], exports: [EngineRegistry] })
export class EnginesModule {}
