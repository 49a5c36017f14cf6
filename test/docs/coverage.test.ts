/**
 * docs/coverage.md is true: every write route of the OpenAPI document has a row; every `postern …` command a row
 * names exists in the CLI; every console action a row names calls its route with its method from the console's
 * static files (a GET of the same path is no write action). A cell
 * without an action (`—`) must say why.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/index.ts';
import { startHarness, type Harness } from '../support/harness.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const WRITE = new Set(['post', 'put', 'patch', 'delete']);

interface Row {
  method: string;
  route: string;
  cli: string;
  console: string;
}

/** The rows of the table in docs/coverage.md. */
function readTable(): Row[] {
  const text = readFileSync(join(ROOT, 'docs/coverage.md'), 'utf8');
  return text
    .split('\n')
    .filter((l) => /^\| (POST|PUT|PATCH|DELETE) \|/.test(l))
    .map((l) => {
      const [method, route, cli, console] = l.split('|').slice(1, -1).map((c) => c.trim());
      return { method: method!, route: route!, cli: cli!, console: console! };
    });
}

/** Every command path of the CLI, like `postern devices approve-serials`. */
function commandPaths(cmd: Command, prefix = 'postern'): string[] {
  return cmd.commands.flatMap((c) => [`${prefix} ${c.name()}`, ...commandPaths(c, `${prefix} ${c.name()}`)]);
}

/** The command each backticked `postern …` names: its longest prefix of words that is a command. */
function commandsNamed(cell: string, known: Set<string>): { text: string; command: string | null }[] {
  return [...cell.matchAll(/`(postern [^`]+)`/g)].map((m) => {
    const words = m[1]!.split(/\s+/);
    for (let n = words.length; n >= 2; n--) {
      const candidate = words.slice(0, n).join(' ');
      if (known.has(candidate)) return { text: m[1]!, command: candidate };
    }
    return { text: m[1]!, command: null };
  });
}

/** Every script the console serves: path and text. */
function consoleScripts(dir = join(ROOT, 'src/web/static')): { path: string; text: string }[] {
  return readdirSync(dir)
    .map((name) => join(dir, name))
    .flatMap((path) => (statSync(path).isDirectory() ? consoleScripts(path) : path.endsWith('.js') ? [{ path, text: readFileSync(path, 'utf8') }] : []));
}

/** The text from `open` (just past an opening bracket) to its matching close, skipping strings and templates. */
function balanced(text: string, open: number): string {
  let depth = 1;
  for (let i = open; i < text.length; i++) {
    const c = text[i]!;
    if (c === "'" || c === '"' || c === '`') {
      for (i++; i < text.length && text[i] !== c; i++) if (text[i] === '\\') i++;
      continue;
    }
    if (c === '(' || c === '{' || c === '[') depth++;
    if (c === ')' || c === '}' || c === ']') depth--;
    if (depth === 0) return text.slice(open, i);
  }
  return text.slice(open);
}

/** Arguments at the top level of an argument list. */
function splitArgs(args: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i < args.length; i++) {
    const c = args[i]!;
    if (c === "'" || c === '"' || c === '`') {
      for (i++; i < args.length && args[i] !== c; i++) if (args[i] === '\\') i++;
      continue;
    }
    if ('({['.includes(c)) depth++;
    if (')}]'.includes(c)) depth--;
    if (c === ',' && depth === 0) {
      out.push(args.slice(from, i).trim());
      from = i + 1;
    }
  }
  if (args.slice(from).trim() !== '') out.push(args.slice(from).trim());
  return out;
}

/**
 * The paths an argument of a console script can hold, with every interpolated part as `{}`: a string or template
 * literal; a call of a path helper defined in the file (`const path = (device, rest = '') => `/v1/devices/${…}${rest}``);
 * or a parameter of the enclosing function, resolved through that function's calls in the file.
 */
function pathsOf(arg: string, file: string, at: number, depth = 0): string[] {
  arg = arg.trim();
  if (depth > 3) return [];
  const literal = /^(['"`])([\s\S]*)\1$/.exec(arg);
  if (literal) return [literal[2]!.replace(/\$\{[^}]*\}/g, '{}')];
  const call = /^(\w+)\(([\s\S]*)\)$/.exec(arg);
  if (call) {
    const def = new RegExp(`const ${call[1]} = \\(([^)]*)\\) => (\`[^\`]*\`)`).exec(file);
    if (!def) return [];
    const params = def[1]!.split(',').map((p) => p.trim().split('=').map((x) => x.trim()));
    const given = splitArgs(call[2]!);
    let template = def[2]!;
    params.forEach(([name, fallback], i) => {
      const value = given[i] ?? fallback;
      const resolved = value !== undefined && /^(['"`]).*\1$/.test(value) ? value.slice(1, -1) : '{}';
      template = template.replaceAll(`\${${name}}`, resolved);
    });
    return pathsOf(template, file, at, depth + 1);
  }
  if (/^\w+$/.test(arg)) {
    // A parameter of the function the call is in: what that function's callers in this file pass.
    const fns = [...file.slice(0, at).matchAll(/function (\w+)\(([^)]*)\)/g)];
    const fn = fns[fns.length - 1];
    const index = fn ? fn[2]!.split(',').map((p) => p.trim()).indexOf(arg) : -1;
    if (!fn || index < 0) return [];
    return [...file.matchAll(new RegExp(`(?<!function )\\b${fn[1]}\\(`, 'g'))].flatMap((m) => {
      const given = splitArgs(balanced(file, m.index + m[0].length))[index];
      return given ? pathsOf(given, file, m.index, depth + 1) : [];
    });
  }
  return [];
}

/** Every `api(path, { method })` call of the console's scripts, as `METHOD /path` with parameters as `{}`. */
function consoleCallList(): Set<string> {
  const out = new Set<string>();
  for (const { text } of consoleScripts()) {
    for (const m of text.matchAll(/\bapi\(/g)) {
      if (/function\s+$/.test(text.slice(Math.max(0, m.index - 20), m.index))) continue;
      const args = splitArgs(balanced(text, m.index + m[0].length));
      const method = /\bmethod:\s*'(\w+)'/.exec(args[1] ?? '')?.[1] ?? 'GET';
      for (const path of pathsOf(args[0] ?? '', text, m.index)) out.add(`${method} ${path}`);
    }
  }
  return out;
}

/** A route of the OpenAPI document as the console's calls are listed: `METHOD /path`, parameters as `{}`. */
const asCall = (method: string, route: string) => `${method} ${route.replace(/\{[^}]+\}/g, '{}')}`;

let h: Harness;
let writes: string[];

beforeAll(async () => {
  h = await startHarness();
  const doc = (await h.request('GET', '/openapi.json', { key: null })).json as { paths: Record<string, Record<string, unknown>> };
  writes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).filter((m) => WRITE.has(m)).map((m) => `${m.toUpperCase()} ${path}`));
});
afterAll(async () => {
  await h?.close();
});

describe('docs/coverage.md', () => {
  const rows = readTable();

  it('has a row for every write route of the OpenAPI document', () => {
    expect(writes.length).toBeGreaterThan(20);
    const documented = new Set(rows.map((r) => `${r.method} ${r.route}`));
    expect(writes.filter((w) => !documented.has(w))).toEqual([]);
  });

  it('names CLI commands that exist, or says why there is none', () => {
    const known = new Set(commandPaths(buildProgram()));
    for (const row of rows) {
      const named = commandsNamed(row.cli, known);
      if (named.length === 0) {
        expect(row.cli, `${row.method} ${row.route}: a CLI cell without a command says why`).toMatch(/^— \S.{10,}/);
        continue;
      }
      for (const n of named) expect(n.command, `${row.method} ${row.route}: \`${n.text}\` is not a postern command`).not.toBeNull();
    }
  });

  it('finds the console\'s calls with their methods, so the next check means something', () => {
    const calls = consoleCallList();
    expect(calls).toContain('GET /v1/devices');
    expect(calls).toContain('POST /v1/devices/{}/approve-serials');
    expect(calls).toContain('DELETE /v1/api-keys/{}');
    expect(calls).not.toContain('POST /v1/devices/{}');
  });

  it('names console actions whose route the console calls with that method, or says why there is none', () => {
    const calls = consoleCallList();
    const missing: string[] = [];
    for (const row of rows) {
      if (row.console.startsWith('—')) {
        expect(row.console, `${row.method} ${row.route}: a console cell without an action says why`).toMatch(/^— \S.{10,}/);
        continue;
      }
      if (!calls.has(asCall(row.method, row.route))) missing.push(`${row.method} ${row.route} (${row.console})`);
    }
    expect(missing).toEqual([]);
  });
});

