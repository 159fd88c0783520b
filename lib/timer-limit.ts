/**
 * The longest delay `setTimeout` honours in browsers and Node (2^31 - 1 ms, about 24.8 days): a
 * longer one fires at once, so a "keep for a month" option would instead act immediately. Every
 * timing option is checked against it when the operator or session is created.
 *
 * @example
 * setTimeout(refreshToken, Math.min(expiresAt - Date.now() - 60_000, MAX_TIMER_MS));
 */
export const MAX_TIMER_MS = 2_147_483_647;
