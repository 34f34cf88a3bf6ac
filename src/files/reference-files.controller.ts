import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../accounts/auth/access.decorator.js';
import { RawResponse } from '../common/raw-response.decorator.js';
import { RouterGate } from '../config/router-gate.decorator.js';
import { fileCaller } from './file-caller.js';
import { FileStorageService } from './file-storage.service.js';

/** The STTS server's route, for its clients: a bare JSON list of reference audio file names. */
@ApiTags('files')
@RouterGate('management.files')
@RequireScope('files')
@Controller()
export class ReferenceFilesController {
  constructor(private readonly storage: FileStorageService) {}

  @Get('get_reference_files')
  @RawResponse()
  @ApiOperation({ summary: 'Names of your reference audio files (STTS server compatibility)' })
  async list(): Promise<string[]> {
    return this.storage.namesOf('reference_audio', fileCaller().userId);
  }
}
