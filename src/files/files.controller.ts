import { Controller, Get, Param } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../accounts/auth/access.decorator.js';
import { AppError } from '../common/app-error.js';
import { RouterGate } from '../config/router-gate.decorator.js';
import { FILE_FOLDERS, isFileFolder } from './file-folder.js';
import { FileStorageService } from './file-storage.service.js';

@ApiTags('files')
@RouterGate('management.files')
@RequireScope('files')
@Controller('files')
export class FilesController {
  constructor(private readonly storage: FileStorageService) {}

  @Get(':folder')
  @ApiOperation({ summary: 'Files in reference_audio/, voices/ or outputs/' })
  @ApiParam({ name: 'folder', enum: FILE_FOLDERS })
  async list(@Param('folder') folder: string) {
    if (!isFileFolder(folder)) {
      throw new AppError('NOT_FOUND', `Unknown folder '${folder}'; use one of ${FILE_FOLDERS.join(', ')}.`);
    }
    const files = await this.storage.operatorFiles(folder);
    return files.map((file) => ({
      name: file.name,
      size_bytes: file.sizeBytes,
      modified_at: file.modifiedAt.toISOString(),
    }));
  }
}
