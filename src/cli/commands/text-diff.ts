/**
 * A line diff (longest common subsequence) for `postern policy diff`, printed like `diff -u` with a few lines of
 * context around each change. Pure.
 */
export interface DiffLine {
  op: ' ' | '-' | '+';
  text: string;
  /** Line number in the old text (null for an added line). */
  a: number | null;
  /** Line number in the new text (null for a removed line). */
  b: number | null;
}

export function diffLines(oldText: string, newText: string): DiffLine[] {
  const a = oldText.split('\n');
  const b = newText.split('\n');
  const n = a.length;
  const m = b.length;
  const lengths = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) lengths[i]![j] = a[i] === b[j] ? lengths[i + 1]![j + 1]! + 1 : Math.max(lengths[i + 1]![j]!, lengths[i]![j + 1]!);
  }
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) out.push({ op: ' ', text: a[i]!, a: ++i, b: ++j });
    else if (i < n && (j === m || lengths[i + 1]![j]! >= lengths[i]![j + 1]!)) out.push({ op: '-', text: a[i]!, a: ++i, b: null });
    else out.push({ op: '+', text: b[j]!, a: null, b: ++j });
  }
  return out;
}

/** `diff -u`-style hunks: `@@ -a +b @@` headers, changed lines and `context` unchanged lines around them. */
export function unifiedLines(lines: readonly DiffLine[], context = 2): string[] {
  const keep = new Set<number>();
  lines.forEach((l, i) => {
    if (l.op === ' ') return;
    for (let k = Math.max(0, i - context); k <= Math.min(lines.length - 1, i + context); k++) keep.add(k);
  });
  const out: string[] = [];
  let previous = -2;
  for (const i of [...keep].sort((x, y) => x - y)) {
    const l = lines[i]!;
    if (i !== previous + 1) {
      const at = lines.slice(i).find((x) => x.a !== null)?.a ?? '$';
      const bt = lines.slice(i).find((x) => x.b !== null)?.b ?? '$';
      out.push(`@@ -${at} +${bt} @@`);
    }
    out.push(`${l.op}${l.text}`);
    previous = i;
  }
  return out;
}
