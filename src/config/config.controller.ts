import { Body, Controller, Get, HttpCode, Patch, Post } from '@nestjs/common';
import { AdminOnly } from '../accounts/auth/access.decorator.js';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AppError } from '../common/app-error.js';
import { Enveloped } from '../common/envelope.js';
import { RawResponse } from '../common/raw-response.decorator.js';
import { ConfigService } from './config.service.js';
import type { ConfigValidationReport } from './config-validation-report.js';
import { RouterGate } from './router-gate.decorator.js';

/** Sections whose change takes effect only after a restart (listen address, database, folders). */
const RESTART_SECTIONS = ['server', 'database', 'paths'];

function requireObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new AppError('VALIDATION_FAILED', 'The body must be a JSON object of config.yaml sections.');
  }
  return body as Record<string, unknown>;
}

@ApiTags('config')
@RouterGate('management.config')
@AdminOnly()
@Controller()
export class ConfigController {
  constructor(private readonly config: ConfigService) {}

  @Get('config')
  @ApiOperation({ summary: 'The live configuration, as in config.yaml, with secrets redacted' })
  getConfig(): Record<string, unknown> {
    return this.config.redactedDocument();
  }

  @Get('config/validation')
  @ApiOperation({ summary: 'Whether the last edit of config.yaml was valid and applied' })
  getValidation(): ConfigValidationReport {
    if (!this.config.current.routers.management.config.enableValidation) {
      throw new AppError(
        'FEATURE_DISABLED',
        'Config validation reports are disabled (routers.management.config.enable_validation is off).',
      );
    }
    return this.config.validation;
  }

  @Patch('config')
  @ApiOperation({
    summary: 'Change config.yaml with a JSON merge patch (snake_case keys; null removes a key)',
  })
  @ApiBody({ schema: { type: 'object', example: { middleware: { timing: { enabled: false } } } } })
  async patchConfig(@Body() body: unknown): Promise<Enveloped<Record<string, unknown>>> {
    await this.config.patch(requireObject(body));
    return new Enveloped(this.config.redactedDocument(), 'Configuration updated and applied.');
  }

  /** The STTS server's legacy endpoint: same merge as PATCH /config, legacy answer shape. */
  @Post('save_settings')
  @HttpCode(200)
  @RawResponse()
  @ApiOperation({ summary: 'Legacy: save a partial settings object (answers {message, restart_needed})' })
  async saveSettings(@Body() body: unknown): Promise<{ message: string; restart_needed: boolean }> {
    const patch = requireObject(body);
    await this.config.patch(patch);
    const restartNeeded = Object.keys(patch).some((key) => RESTART_SECTIONS.includes(key));
    return {
      message: restartNeeded
        ? 'Settings saved successfully. A server restart is required for some changes to take effect.'
        : 'Settings saved successfully.',
      restart_needed: restartNeeded,
    };
  }
}
