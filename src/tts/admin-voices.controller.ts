import { Body, Controller, Delete, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CreateVoiceDto, UpdateVoiceDto, VOICE_NAME } from '../accounts/admin/dto/voice.dto.js';
import { AdminOnly } from '../accounts/auth/access.decorator.js';
import { AppError } from '../common/app-error.js';
import type { VoiceEntity } from './voice.entity.js';
import { voiceJson } from './voice-json.js';
import { VoicesService } from './voices.service.js';

function adminVoiceJson(voice: VoiceEntity) {
  return { ...voiceJson(voice), is_active: voice.isActive };
}

function checkedName(name: string): string {
  if (!VOICE_NAME.test(name)) throw new AppError('VALIDATION_FAILED', 'Not a voice name.');
  return name;
}

@ApiTags('admin')
@ApiBearerAuth()
@AdminOnly()
@Controller('admin/voices')
export class AdminVoicesController {
  constructor(private readonly voices: VoicesService) {}

  @Post()
  @ApiOperation({ summary: 'Add a voice: a friendly name for one engine voice' })
  async create(@Body() body: CreateVoiceDto) {
    return adminVoiceJson(
      await this.voices.create({
        friendlyName: body.friendly_name,
        engine: body.engine,
        engineVoiceId: body.engine_voice_id,
        language: body.language,
        gender: body.gender,
        description: body.description,
      }),
    );
  }

  @Patch(':name')
  @ApiOperation({ summary: 'Change a voice (shows in synthesis within 5 s on other nodes)' })
  async update(@Param('name') name: string, @Body() body: UpdateVoiceDto) {
    return adminVoiceJson(
      await this.voices.update(checkedName(name), {
        engineVoiceId: body.engine_voice_id,
        language: body.language?.toLowerCase(),
        gender: body.gender,
        description: body.description,
        isActive: body.is_active,
      }),
    );
  }

  @Delete(':name')
  @ApiOperation({ summary: 'Deactivate a voice (kept, no longer listed or usable)' })
  async deactivate(@Param('name') name: string) {
    return adminVoiceJson(await this.voices.update(checkedName(name), { isActive: false }));
  }
}
