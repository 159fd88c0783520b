/**
 * `text` cut to `length` characters, with `...` where it was cut. For text that is not ours (a
 * server's reason, a thrown message) going into an error message: never printed at any length.
 */
export function clipText(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length)}...` : text;
}

/** How much of a server-written text an error message keeps. */
export const SERVER_TEXT_LENGTH = 200;

/**
 * Name and message of an error's cause, without anything else it may carry, clipped: the cause may
 * come from user code (a token provider's HTTP client can put a whole response body in its
 * message). The length keeps our own wrapped errors whole (a server reason of 200 plus our words).
 */
export function errorSummary(cause: unknown): string {
  return clipText(cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause), CAUSE_TEXT_LENGTH);
}

const CAUSE_TEXT_LENGTH = 500;
