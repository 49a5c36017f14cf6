/** The policy diff marks exactly the lines that changed, with their numbers, and prints them like diff -u. */
import { describe, expect, it } from 'vitest';
import { diffLines, unifiedLines } from './text-diff.ts';

describe('diffLines', () => {
  it.each([
    ['identical', 'a\nb', 'a\nb', ['  a', '  b']],
    ['one line changed', 'a\nb\nc', 'a\nx\nc', ['  a', '- b', '+ x', '  c']],
    ['added at the end', 'a', 'a\nb', ['  a', '+ b']],
    ['removed at the start', 'a\nb', 'b', ['- a', '  b']],
    ['from empty', '', 'a', ['- ', '+ a']],
  ])('%s', (_name, a, b, expected) => {
    expect(diffLines(a, b).map((l) => `${l.op} ${l.text}`)).toEqual(expected);
  });

  it('numbers each line in the text it belongs to', () => {
    expect(diffLines('a\nb\nc', 'a\nc\nd')).toEqual([
      { op: ' ', text: 'a', a: 1, b: 1 },
      { op: '-', text: 'b', a: 2, b: null },
      { op: ' ', text: 'c', a: 3, b: 2 },
      { op: '+', text: 'd', a: null, b: 3 },
    ]);
  });
});

describe('unifiedLines', () => {
  it('keeps context around each change and starts a hunk after a gap', () => {
    const old = ['1', '2', '3', '4', '5', '6', '7', '8', '9'].join('\n');
    const now = ['1', 'two', '3', '4', '5', '6', '7', '8', 'nine'].join('\n');
    expect(unifiedLines(diffLines(old, now), 1)).toEqual(['@@ -1 +1 @@', ' 1', '-2', '+two', ' 3', '@@ -8 +8 @@', ' 8', '-9', '+nine']);
  });
  it('prints nothing for identical texts', () => {
    expect(unifiedLines(diffLines('a\nb', 'a\nb'))).toEqual([]);
  });
});
