import { type DynamicModule, Global, Module } from '@nestjs/common';
import { ConfigController } from './config.controller.js';
import { ConfigService } from './config.service.js';

/** Provides the live ConfigService that bootstrap loaded (config is validated once, at the edge). */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: ConfigService): DynamicModule {
    return {
      module: ConfigModule,
      controllers: [ConfigController],
      providers: [{ provide: ConfigService, useValue: config }],
      exports: [ConfigService],
    };
  }
}
