import { Controller, Get, Param } from '@nestjs/common';
import { RequireScope } from '../accounts/auth/access.decorator.js';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { AppError } from '../common/app-error.js';
import { RouterGate } from '../config/router-gate.decorator.js';
import { FILE_FOLDERS, type FileFolder, FilesService, type StoredFile } from './files.service.js';

@ApiTags('files')
@RouterGate('management.files')
@RequireScope('files')
@Controller('files')
export class FilesController {
  constructor(private readonly files: FilesService) {}

  @Get(':folder')
  @ApiOperation({ summary: 'Files in reference_audio/, voices/ or outputs/' })
  @ApiParam({ name: 'folder', enum: FILE_FOLDERS })
  async list(@Param('folder') folder: string): Promise<StoredFile[]> {
    if (!(FILE_FOLDERS as readonly string[]).includes(folder)) {
      throw new AppError('NOT_FOUND', `Unknown folder '${folder}'; use one of ${FILE_FOLDERS.join(', ')}.`);
    }
    return this.files.list(folder as FileFolder);
  }
}
