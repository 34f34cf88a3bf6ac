/** The server's pino logger (one instance, configured from config.yaml). */
export const ROOT_LOGGER = Symbol('ROOT_LOGGER');
/** Options main.ts or a test passes when building the app. */
export const BOOT_OPTIONS = Symbol('BOOT_OPTIONS');
