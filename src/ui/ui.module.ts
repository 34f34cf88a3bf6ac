import { Module } from '@nestjs/common';
import { ConsoleAssets, CONSOLE_DIR } from './console-assets.js';
import { UiController } from './ui.controller.js';

/** The browser console at /ui (routers.management.ui). */
@Module({
  controllers: [UiController],
  providers: [{ provide: ConsoleAssets, useFactory: () => new ConsoleAssets(CONSOLE_DIR) }],
})
export class UiModule {}
