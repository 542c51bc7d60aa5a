/**
 * The one rule for instants that reach a store (time filters, cursors): years 0001 to 9999, UTC. JavaScript's Date
 * takes years from -271821 to +275760 and SQLite stores any text, but PostgreSQL refuses year 0 and the extended
 * (±YYYYYY) years, so the range both stores accept is the four-digit years from 0001. Anything outside is a 400
 * naming the field, in both modes — never a driver error.
 */
export const EARLIEST = '0001-01-01T00:00:00.000Z';
export const LATEST = '9999-12-31T23:59:59.999Z';
const EARLIEST_MS = Date.parse(EARLIEST);
const LATEST_MS = Date.parse(LATEST);

/** The message every refusal uses. */
export const TIME_RANGE_MESSAGE = `must be between ${EARLIEST} and ${LATEST}`;

/** True when this instant (ms since the epoch) is one both stores accept. */
export function isStorableTime(ms: number): boolean {
  return Number.isFinite(ms) && ms >= EARLIEST_MS && ms <= LATEST_MS;
}
