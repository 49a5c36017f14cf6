/** A page of users: sorted by email, after the cursor, filtered by text and level, with a cursor only when more follow. */
import { describe, expect, it } from 'vitest';
import { pageOfUsers } from './users.ts';

const users = ['ann@a.example', 'bob@b.example', 'cat@a.example', 'dan@b.example', 'eve@a.example'].map((email, i) => ({ email, level: ['none', 'low', 'high', 'none', 'high'][i]! }));
const emails = (page: { data: { email: string }[] }) => page.data.map((u) => u.email);

describe('pageOfUsers', () => {
  const cases: { name: string; query: Parameters<typeof pageOfUsers>[1]; data: string[]; more: boolean }[] = [
    { name: 'the first page', query: { limit: 2 }, data: ['ann@a.example', 'bob@b.example'], more: true },
    { name: 'all on one page', query: { limit: 5 }, data: users.map((u) => u.email), more: false },
    { name: 'text filter', query: { limit: 10, q: 'A.EXAMPLE' }, data: ['ann@a.example', 'cat@a.example', 'eve@a.example'], more: false },
    { name: 'one level', query: { limit: 10, riskLevel: 'high' }, data: ['cat@a.example', 'eve@a.example'], more: false },
    { name: 'several levels and text', query: { limit: 10, riskLevel: 'none,low', q: 'b.example' }, data: ['bob@b.example', 'dan@b.example'], more: false },
    { name: 'a filter that pages', query: { limit: 1, q: 'a.example' }, data: ['ann@a.example'], more: true },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const page = pageOfUsers(users, c.query);
      expect(emails(page)).toEqual(c.data);
      expect(page.nextCursor !== null).toBe(c.more);
    });
  }

  it('following the cursors visits every matching user once', () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = pageOfUsers(users, { limit: 2, riskLevel: 'none,high', ...(cursor ? { cursor } : {}) });
      seen.push(...emails(page));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(['ann@a.example', 'cat@a.example', 'dan@a.example'.replace('a.example', 'b.example'), 'eve@a.example']);
  });
});
