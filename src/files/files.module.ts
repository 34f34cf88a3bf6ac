import { Module } from '@nestjs/common';
import { AudioModule } from '../audio/audio.module.js';
import { FileBlobStore } from './file-blob.store.js';
import { FileRetentionService } from './file-retention.service.js';
import { FileStorageService } from './file-storage.service.js';
import { FileUploadService } from './file-upload.service.js';
import { FilesController } from './files.controller.js';
import { ReferenceFilesController } from './reference-files.controller.js';
import { StoredFilesRepository } from './stored-files.repository.js';

/** Per-user files (reference audio, voice definitions, outputs) and the routes over them. */
@Module({
  imports: [AudioModule],
  controllers: [FilesController, ReferenceFilesController],
  providers: [
    StoredFilesRepository,
    FileBlobStore,
    FileStorageService,
    FileUploadService,
    FileRetentionService,
  ],
  exports: [FileStorageService],
})
export class FilesModule {}
