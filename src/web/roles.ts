/**
 * Pure rules of the console's single sign-on: which role a person's groups give, reading the groups claim in the
 * shapes providers send it, and where a sign-in may return to.
 */
import type { SessionRole } from './sessions.ts';

/** Admin when any group is an admin group, else viewer when any is a viewer group, else null (refused). */
export function roleForGroups(groups: readonly string[], admin: readonly string[], viewer: readonly string[]): SessionRole | null {
  const mine = new Set(groups);
  if (admin.some((g) => mine.has(g))) return 'admin';
  if (viewer.some((g) => mine.has(g))) return 'viewer';
  return null;
}

/** A groups claim as providers send it: a list of names, one name, or a comma-separated string; anything else is none. */
export function groupsFromClaim(value: unknown): string[] | null {
  if (Array.isArray(value)) return value.filter((g): g is string => typeof g === 'string' && g !== '');
  if (typeof value === 'string') return value.split(',').map((g) => g.trim()).filter((g) => g !== '');
  return null;
}

/** Only console routes (`#/devices/dev_1`) are returned to after sign-in; anything else goes home. */
export function safeReturn(value: unknown): string {
  return typeof value === 'string' && /^#\/[A-Za-z0-9_\-./?=&%@:+~]*$/.test(value) && value.length <= 500 ? value : '';
}
