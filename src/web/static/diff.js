/**
 * A line diff (longest common subsequence) for comparing two policy versions: answers
 * `[{ op: ' ' | '-' | '+', text, a, b }]` with each line's number in the old (`a`) and new (`b`) text.
 */
export function diffLines(oldText, newText) {
  const a = oldText.split('\n');
  const b = newText.split('\n');
  const n = a.length;
  const m = b.length;
  // lengths[i][j]: LCS of a[i..] and b[j..], one row at a time from the end.
  const lengths = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) lengths[i][j] = a[i] === b[j] ? lengths[i + 1][j + 1] + 1 : Math.max(lengths[i + 1][j], lengths[i][j + 1]);
  }
  const out = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) out.push({ op: ' ', text: a[i], a: ++i, b: ++j });
    else if (i < n && (j === m || lengths[i + 1][j] >= lengths[i][j + 1])) out.push({ op: '-', text: a[i], a: ++i, b: null });
    else out.push({ op: '+', text: b[j], a: null, b: ++j });
  }
  return out;
}
