import { Module } from '@nestjs/common';
import { FileBlobStore } from './file-blob.store.js';
import { FileRetentionService } from './file-retention.service.js';
import { FileStorageService } from './file-storage.service.js';
import { FilesController } from './files.controller.js';
import { StoredFilesRepository } from './stored-files.repository.js';

/** Per-user files (reference audio, voice definitions, outputs) and the routes over them. */
@Module({
  controllers: [FilesController],
  providers: [StoredFilesRepository, FileBlobStore, FileStorageService, FileRetentionService],
  exports: [FileStorageService],
})
export class FilesModule {}
