/**
 * The controller's structured logger: pino's call shape (`log.info({ jobId }, "message")`), which
 * Fastify's logger provides in the server and a console stand-in provides elsewhere.
 */
export interface Logger {
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
}
