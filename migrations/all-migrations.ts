import { CreateAnalyticsEvents1764072000000 } from './1764072000000-CreateAnalyticsEvents.js';

/** Every migration, oldest first. Both PostgreSQL and the embedded database run exactly these. */
export const ALL_MIGRATIONS = [CreateAnalyticsEvents1764072000000];
