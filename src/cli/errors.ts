import { FloeError, type ErrorCode } from '../errors.js';

/** Exit status per error class, stable for scripts. */
export const EXIT_CODES: Record<ErrorCode, number> = {
  SQL_PARSE: 2,
  VALIDATION: 3,
  NOT_FOUND: 4,
  ALREADY_EXISTS: 5,
  COMMIT_FAILED: 6,
  COMMIT_STATE_UNKNOWN: 7,
  ACCESS_DENIED: 8,
  LIMIT_EXCEEDED: 9,
  CORRUPT_METADATA: 10,
  UNSUPPORTED: 11,
  IO: 12,
  CANCELLED: 130,
};

/** One line naming the problem; the stack only with --debug. Returns the exit status. */
export function reportError(err: unknown, debug: boolean, write: (s: string) => void): number {
  if (err instanceof FloeError) {
    write(`floe: ${err.message.split('\n')[0]}\n`);
    if (debug && err.stack) write(`${err.stack}\n`);
    return EXIT_CODES[err.code];
  }
  const msg = err instanceof Error ? err.message : String(err);
  write(`floe: ${msg.split('\n')[0]}\n`);
  if (debug && err instanceof Error && err.stack) write(`${err.stack}\n`);
  return 1;
}
