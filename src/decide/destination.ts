/**
 * The destination a decision is about, checked as the API's `destination` schema checks it (trimmed, 1 to 300
 * characters, a tag, host, IP or CIDR, optionally with a port), without a schema library on the decision path.
 */
import { isValidDestination } from '../policy/index.ts';

/** The destination `text` names (trimmed), or null when it is not one postern can decide about. */
export function destinationOf(text: string): string | null {
  const d = text.trim();
  return d.length >= 1 && d.length <= 300 && isValidDestination(d) ? d : null;
}
