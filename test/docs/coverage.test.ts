/**
 * docs/coverage.md is true: every write route of the OpenAPI document has a row; every `postern …` command a row
 * names exists in the CLI; every console action a row names calls its route from the console's static files. A cell
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

/** The text of every script the console serves. */
function consoleScripts(dir = join(ROOT, 'src/web/static')): string {
  return readdirSync(dir)
    .map((name) => join(dir, name))
    .map((path) => (statSync(path).isDirectory() ? consoleScripts(path) : path.endsWith('.js') ? readFileSync(path, 'utf8') : ''))
    .join('\n');
}

/**
 * Whether the console's scripts call a route: each fixed piece of its path (between parameters) appears in them,
 * so `/v1/devices/{id}/approve-user` is found whether written whole in a template or as `/v1/devices/` plus
 * `/approve-user`.
 */
function consoleCalls(scripts: string, route: string): boolean {
  const pieces = route.split(/\{[^}]+\}/).filter((p) => p !== '' && p !== '/');
  return pieces.every((p) => scripts.includes(p.replace(/\/$/, '')));
}

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

  it('names console actions whose route the console calls, or says why there is none', () => {
    const scripts = consoleScripts();
    const missing: string[] = [];
    for (const row of rows) {
      if (row.console.startsWith('—')) {
        expect(row.console, `${row.method} ${row.route}: a console cell without an action says why`).toMatch(/^— \S.{10,}/);
        continue;
      }
      if (!consoleCalls(scripts, row.route)) missing.push(`${row.method} ${row.route} (${row.console})`);
    }
    expect(missing).toEqual([]);
  });
});

