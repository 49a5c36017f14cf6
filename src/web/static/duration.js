/**
 * Intervals as people type them: `90`, `90 s`, `15 min`, `1.5 h`, `2 d`. The console keeps what was typed (90 s
 * stays 90 s, never rounded to minutes), and a value the API would have to change (a fraction of a second) is
 * refused with the reason instead of being saved as something else.
 */

const UNITS = { s: 1, sec: 1, second: 1, seconds: 1, m: 60, min: 60, minute: 60, minutes: 60, h: 3600, hour: 3600, hours: 3600, d: 86_400, day: 86_400, days: 86_400 };

/** `{ seconds }` or `{ error }` (what is wrong and what to type). A bare number is seconds. */
export function parseDuration(text) {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(String(text ?? ''));
  if (!m) return { error: 'must be a duration like 90 s, 15 min or 1 h' };
  const unit = m[2].toLowerCase() || 's';
  const factor = UNITS[unit];
  if (!factor) return { error: `"${m[2]}" is not a unit: use s, min, h or d` };
  const seconds = Number(m[1]) * factor;
  if (!Number.isInteger(Math.round(seconds * 1e6) / 1e6)) {
    return { error: `${m[1]} ${unit} is ${seconds} seconds; postern keeps whole seconds, so type a whole number of seconds` };
  }
  return { seconds: Math.round(seconds) };
}

/** The shortest exact spelling: 90 → `90 s`, 900 → `15 min`, 3600 → `1 h`, 86400 → `1 d`. */
export function formatDuration(seconds) {
  if (seconds % 86_400 === 0 && seconds >= 86_400) return `${seconds / 86_400} d`;
  if (seconds % 3600 === 0 && seconds >= 3600) return `${seconds / 3600} h`;
  if (seconds % 60 === 0 && seconds >= 60) return `${seconds / 60} min`;
  return `${seconds} s`;
}
