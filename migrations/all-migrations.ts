import { CreateAnalyticsEvents1764072000000 } from './1764072000000-CreateAnalyticsEvents.js';
import { CreateVoices1764158400000 } from './1764158400000-CreateVoices.js';
import { CreateAccounts1764244800000 } from './1764244800000-CreateAccounts.js';
import { CreateQuotaReservations1764331200000 } from './1764331200000-CreateQuotaReservations.js';
import { AddUsageLogTokens1764417600000 } from './1764417600000-AddUsageLogTokens.js';
import { CreateConversations1764504000000 } from './1764504000000-CreateConversations.js';
import { CreateStoredFiles1764590400000 } from './1764590400000-CreateStoredFiles.js';
import { CreateJobs1764676800000 } from './1764676800000-CreateJobs.js';

/** Every migration, oldest first. Both PostgreSQL and the embedded database run exactly these. */
export const ALL_MIGRATIONS = [
  CreateAnalyticsEvents1764072000000,
  CreateVoices1764158400000,
  CreateAccounts1764244800000,
  CreateQuotaReservations1764331200000,
  AddUsageLogTokens1764417600000,
  CreateConversations1764504000000,
  CreateStoredFiles1764590400000,
  CreateJobs1764676800000,
];
