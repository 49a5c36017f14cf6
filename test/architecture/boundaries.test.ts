/**
 * Layering rules, checked on the source itself:
 * 1. A module imports another module only through its `index.ts` (or `core.ts`, its pure subset); `lib` is shared.
 *    Which module may import which is the table `MAY_IMPORT`; a new dependency is a decision made there.
 * 2. One home per table: only the devices module reads or writes the device, attribute and device-source tables.
 * 3. The pure core (matching, mapping, verification, policy evaluation, S1 parsing) reaches no I/O, not even
 *    transitively: no database, network, file system, process or framework imports.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return walk(p);
    return p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : [];
  });
}

const FILES = walk(SRC);

/** The agent package (packages/agent): only the CLI's `postern agent` alias imports it, through its index. */
const AGENT_PACKAGE = resolve(SRC, '../packages/agent/src/index.ts');

interface Import {
  spec: string;
  typeOnly: boolean;
}

function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  const out: Import[] = [];
  const re = /^\s*(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm;
  for (const m of text.matchAll(re)) out.push({ spec: m[3]!, typeOnly: Boolean(m[2]) });
  for (const m of text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push({ spec: m[1]!, typeOnly: false });
  return out;
}

const moduleOf = (file: string) => relative(SRC, file).split('/')[0]!;

/** Files that must stay pure. */
const PURE = [
  'devices/serial.ts',
  'devices/matcher.ts',
  'devices/verification.ts',
  'devices/view.ts',
  'devices/posture.ts',
  'devices/freshness.ts',
  'devices/core.ts',
  'devices/mac.ts',
  'vendors/sentinelone/mapping.ts',
  'vendors/sentinelone/attributes.ts',
  'vendors/sentinelone/incremental.ts',
  'sources/summary.ts',
  'sources/state-machine.ts',
  'vendors/sentinelone/url.ts',
  'vendors/sentinelone/agent-schema.ts',
  'vendors/sentinelone/agent-record.ts',
  'vendors/sentinelone/attributes.ts',
  'vendors/sentinelone/health.ts',
  'vendors/types.ts',
  'vendors/health-rules.ts',
  'risk/behaviors.ts',
  'vendors/falcon/cloud.ts',
  'vendors/falcon/schema.ts',
  'vendors/falcon/attributes.ts',
  'vendors/falcon/mapping.ts',
  'vendors/falcon/health.ts',
  'vendors/falcon/config.ts',
  'policy/core.ts',
  'exceptions/core.ts',
  'losses/core.ts',
  'risk/core.ts',
  'tailnet/export-plan.ts',
  'tailnet/import-plan.ts',
  'tailnet/url.ts',
].filter((f) => FILES.includes(join(SRC, f)));

/** Which modules each module may import (besides `lib`, shared by all). Type-only imports count too. */
const MAY_IMPORT: Record<string, readonly string[]> = {
  config: [],
  store: [],
  vendors: [],
  notify: [],
  metrics: [],
  oidc: ['store'],
  audit: ['store'],
  changes: ['store'],
  keys: ['audit', 'changes', 'store'],
  devices: ['audit', 'changes', 'store'],
  policy: ['audit', 'changes', 'devices', 'store'],
  decide: ['changes', 'devices', 'keys', 'policy', 'store'],
  sources: ['audit', 'changes', 'devices', 'notify', 'vendors', 'store'],
  exceptions: ['audit', 'changes', 'policy', 'store'],
  losses: ['notify', 'store'],
  risk: ['audit', 'changes', 'devices', 'notify', 'store'],
  tailnet: ['audit', 'changes', 'devices', 'metrics', 'notify', 'store', 'sources'],
  api: ['audit', 'decide', 'devices', 'exceptions', 'keys', 'losses', 'metrics', 'oidc', 'policy', 'risk', 'vendors', 'store', 'sources', 'tailnet'],
  web: ['api', 'audit', 'store'],
  cli: ['config', 'devices', 'exceptions', 'keys', 'policy', 'vendors', 'secrets', 'store', 'tailnet'],
  secrets: ['store'],
};


/** Tables only the devices module touches; everyone else goes through its repo. */
const DEVICE_TABLES = ['devices', 'attributes', 'device_sources', 'device_addresses', 'device_serials'];

const IO_PACKAGES = /^(node:(fs|net|http|https|child_process|dgram|dns|tls|worker_threads)|fs|net|http|https|undici|better-sqlite3|pg|kysely|fastify|@fastify\/.*|nodemailer|pino|prom-client|commander)(\/|$)/;

describe('module boundaries', () => {
  it('modules import each other only through index.ts or core.ts', () => {
    const violations: string[] = [];
    for (const file of FILES) {
      const from = moduleOf(file);
      for (const { spec } of importsOf(file)) {
        if (!spec.startsWith('.')) continue;
        const target = resolve(dirname(file), spec);
        if (from === 'cli' && target === AGENT_PACKAGE) continue;
        const to = moduleOf(target);
        if (to === from || to === 'lib' || !relative(SRC, target).includes('/')) continue;
        const rest = relative(join(SRC, to), target);
        if (rest !== 'index.ts' && rest !== 'core.ts') violations.push(`${relative(SRC, file)} imports ${spec}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('every module appears in the import table, and imports only what the table allows', () => {
    const modules = readdirSync(SRC).filter((d) => statSync(join(SRC, d)).isDirectory() && d !== 'lib');
    expect(modules.filter((m) => !(m in MAY_IMPORT))).toEqual([]);
    const violations: string[] = [];
    for (const file of FILES) {
      const from = moduleOf(file);
      if (!relative(SRC, file).includes('/') || from === 'lib') continue;
      for (const { spec } of importsOf(file)) {
        if (!spec.startsWith('.')) continue;
        const target = resolve(dirname(file), spec);
        if (from === 'cli' && target === AGENT_PACKAGE) continue;
        const to = moduleOf(target);
        if (to === from || to === 'lib' || !relative(SRC, target).includes('/')) continue;
        if (!(MAY_IMPORT[from] ?? []).includes(to)) violations.push(`${relative(SRC, file)} imports ${to} (${spec})`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('a vendor imports no other vendor: only lib and the seam (vendors/types.ts)', () => {
    const VENDORS = join(SRC, 'vendors');
    const vendorOf = (file: string) => {
      const rest = relative(VENDORS, file);
      return rest.startsWith('..') || !rest.includes('/') ? null : rest.split('/')[0]!;
    };
    const violations: string[] = [];
    for (const file of FILES) {
      const own = vendorOf(file);
      if (!own) continue;
      for (const { spec } of importsOf(file)) {
        if (!spec.startsWith('.')) continue;
        const target = resolve(dirname(file), spec);
        const to = vendorOf(target);
        if (to === own || moduleOf(target) === 'lib' || target === join(VENDORS, 'types.ts')) continue;
        violations.push(`${relative(SRC, file)} imports ${relative(SRC, target)}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('no file imports itself back through a cycle of imports', () => {
    const edges = new Map(
      FILES.map((f) => [f, importsOf(f).filter((i) => !i.typeOnly && i.spec.startsWith('.')).map((i) => resolve(dirname(f), i.spec))]),
    );
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        cycles.push([...path.slice(path.indexOf(file)), file].map((f) => relative(SRC, f)).join(' → '));
        return;
      }
      state.set(file, 'open');
      for (const next of edges.get(file) ?? []) if (edges.has(next)) visit(next, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of FILES) visit(file, []);
    expect(cycles).toEqual([]);
  });

  it('only the devices module reads or writes the device tables', () => {
    const pattern = new RegExp(`(selectFrom|insertInto|updateTable|deleteFrom)\\(\\s*['"](${DEVICE_TABLES.join('|')})(\\s+as\\s+\\w+)?['"]`);
    const outside = FILES.filter((f) => moduleOf(f) !== 'devices' && !relative(SRC, f).startsWith('store/migrations/')).filter((f) =>
      pattern.test(readFileSync(f, 'utf8')),
    );
    expect(outside.map((f) => relative(SRC, f))).toEqual([]);
  });

  it.each(PURE)('%s reaches no I/O, even transitively', (pureFile) => {
    const seen = new Set<string>();
    const problems: string[] = [];
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const { spec, typeOnly } of importsOf(file)) {
        if (typeOnly) continue;
        if (!spec.startsWith('.')) {
          if (IO_PACKAGES.test(spec)) problems.push(`${relative(SRC, file)} imports ${spec}`);
          continue;
        }
        visit(resolve(dirname(file), spec));
      }
    };
    visit(join(SRC, pureFile));
    expect(problems).toEqual([]);
  });

  it('every module folder opens its index.ts with a doc comment saying what it does', () => {
    const modules = readdirSync(SRC).filter((d) => statSync(join(SRC, d)).isDirectory() && d !== 'lib');
    const missing = modules.filter((m) => {
      try {
        return !readFileSync(join(SRC, m, 'index.ts'), 'utf8').trimStart().startsWith('/**');
      } catch {
        return true;
      }
    });
    expect(missing).toEqual([]);
  });

  it('source files stay small enough to read in one sitting', () => {
    const big = FILES.filter((f) => readFileSync(f, 'utf8').split('\n').length > 450).map((f) => relative(SRC, f));
    expect(big).toEqual([]);
  });
});
