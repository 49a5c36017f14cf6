/**
 * The agent package (packages/agent) stands alone: its sources import only Node's built-ins and each other, never
 * server code or an npm package, so it builds into one file that needs Node alone. Its copy of the placeholder
 * serials agrees with the server's rule, so the agent never reports what the server would ignore.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PLACEHOLDER_SERIALS } from '../../packages/agent/src/index.ts';
import { usableSerial } from '../../src/devices/index.ts';

const AGENT_SRC = resolve(import.meta.dirname, '../../packages/agent/src');

describe('the agent package', () => {
  it('imports only node: built-ins and its own files', () => {
    const problems: string[] = [];
    for (const name of readdirSync(AGENT_SRC).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
      const text = readFileSync(join(AGENT_SRC, name), 'utf8');
      for (const m of text.matchAll(/^\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm)) {
        const spec = m[1]!;
        if (spec.startsWith('node:')) continue;
        if (spec.startsWith('.') && !relative(AGENT_SRC, resolve(dirname(join(AGENT_SRC, name)), spec)).startsWith('..')) continue;
        problems.push(`${name} imports ${spec}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it.each(PLACEHOLDER_SERIALS)("placeholder %j is no serial to the server either", (s) => expect(usableSerial(s)).toBeNull());
});
