import { Controller, Get, Param, Res, StreamableFile } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../accounts/auth/access.decorator.js';
import { RawResponse } from '../common/raw-response.decorator.js';
import { RouterGate } from '../config/router-gate.decorator.js';
import { ConsoleAssets } from './console-assets.js';
import { CONSOLE_SECURITY_HEADERS } from './content-security-policy.js';

/**
 * The operator console's static files. Public: the pages hold no data; everything they show
 * comes from the API with the key the visitor signs in with.
 */
@ApiExcludeController()
@Public()
@RouterGate('management.ui')
@RawResponse()
@Controller('ui')
export class UiController {
  constructor(private readonly assets: ConsoleAssets) {}

  @Get()
  index(@Res({ passthrough: true }) res: Response): Promise<StreamableFile> {
    return this.serve(res, 'index.html');
  }

  @Get(':file')
  asset(@Param('file') file: string, @Res({ passthrough: true }) res: Response): Promise<StreamableFile> {
    return this.serve(res, file);
  }

  private async serve(res: Response, name: string): Promise<StreamableFile> {
    for (const [header, value] of Object.entries(CONSOLE_SECURITY_HEADERS)) res.setHeader(header, value);
    const asset = await this.assets.read(name);
    return new StreamableFile(asset.body, { type: asset.contentType, length: asset.body.length });
  }
}
