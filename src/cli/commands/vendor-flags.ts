/**
 * The vendor part of `postern integrations add|test|edit`: `--provider` and each vendor's flags, turned into the
 * integration body with the server's catalogue (`GET /v1/vendors`: which field each flag fills, which are
 * required and secret). A secret comes from its flag, its `-file` flag (first line of the file, so it stays out of
 * shell history) or its environment variable.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { callApiOrThrow, type RemoteOptions } from './remote.ts';
import { collect } from './client-action.ts';
import { EDR_VENDORS } from '../../vendors/index.ts';

export interface CatalogueField {
  name: string;
  label: string;
  kind: 'text' | 'secret' | 'list';
  required: boolean;
  flag: string;
  env?: string;
  hint: string;
}

export interface CatalogueVendor {
  provider: string;
  namespace: string;
  displayName: string;
  recordNoun: string;
  fields: CatalogueField[];
  secretFields: string[];
}

/**
 * The flags the registered vendors take, from their presentation (commander needs them before the server is
 * asked). A flag a vendor does not take is refused for it, naming the vendor.
 */
const FLAGS: { flag: string; arg: string; help: string; repeatable?: boolean; secret?: boolean }[] = (() => {
  const byFlag = new Map<string, { flag: string; arg: string; repeatable: boolean; secret: boolean; uses: string[] }>();
  for (const vendor of EDR_VENDORS) {
    for (const f of vendor.presentation.fields) {
      const use = `${vendor.displayName}: ${f.label}${f.env ? ` (env ${f.env})` : ''}`;
      const seen = byFlag.get(f.flag);
      if (seen) seen.uses.push(use);
      else byFlag.set(f.flag, { flag: f.flag, arg: `<${f.kind === 'secret' ? 'secret' : 'value'}>`, repeatable: f.kind === 'list', secret: f.kind === 'secret', uses: [use] });
    }
  }
  return [...byFlag.values()].map(({ uses, ...f }) => ({ ...f, help: `${uses.join('; ')}${f.repeatable ? ' (repeatable; replaces the list)' : ''}` }));
})();

/** `--client-secret-file` → `clientSecretFile`, as commander names it. */
const optionKey = (flag: string) => flag.replace(/^--/, '').replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());

export function addVendorFlags(c: Command): Command {
  c.option('--provider <provider>', 'the EDR vendor (`postern integrations vendors` lists them; adding defaults to the first)');
  for (const f of FLAGS) {
    if (f.repeatable) c.option(`${f.flag} ${f.arg}`, f.help, collect);
    else c.option(`${f.flag} ${f.arg}`, f.help);
    if (f.secret) c.option(`${f.flag}-file <file>`, `read ${f.flag.slice(2).replace(/-/g, ' ')} from the first line of a file`);
  }
  return c;
}

export async function loadCatalogue(remote: RemoteOptions): Promise<CatalogueVendor[]> {
  return (await callApiOrThrow<{ data: CatalogueVendor[] }>(remote, 'GET', '/v1/vendors')).data;
}

export function vendorByProvider(catalogue: CatalogueVendor[], provider: string): CatalogueVendor {
  const found = catalogue.find((v) => v.provider === provider);
  if (!found) throw new Error(`--provider ${provider} is not a vendor this server connects; use one of: ${catalogue.map((v) => v.provider).join(', ')}.`);
  return found;
}

function secretFrom(flags: Record<string, unknown>, f: CatalogueField, env: NodeJS.ProcessEnv): string | undefined {
  const key = optionKey(f.flag);
  const given = flags[key];
  if (typeof given === 'string') return given;
  const file = flags[`${key}File`];
  if (typeof file === 'string') {
    try {
      return readFileSync(file, 'utf8').split(/\r?\n/)[0]!.trim();
    } catch (err) {
      throw new Error(`${f.flag}-file ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? 'error'}).`);
    }
  }
  return f.env ? env[f.env] : undefined;
}

/**
 * The vendor fields the flags give. `partial` (edit, test of a saved integration): only what was passed; otherwise
 * every required field must be there, or the error names its flag. A flag of another vendor is refused.
 */
export function vendorFields(vendor: CatalogueVendor, flags: Record<string, unknown>, { partial = false, env = process.env } = {}): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const own = new Set(vendor.fields.map((f) => f.flag));
  for (const f of FLAGS) {
    const key = optionKey(f.flag);
    if (!own.has(f.flag) && (flags[key] !== undefined || flags[`${key}File`] !== undefined)) {
      throw new Error(`${f.flag} is not a ${vendor.displayName} setting; ${vendor.displayName} takes ${vendor.fields.map((x) => x.flag).join(', ')}.`);
    }
  }
  for (const f of vendor.fields) {
    const value = f.kind === 'secret' ? (partial ? secretFrom({ ...flags }, { ...f, env: undefined }, env) : secretFrom(flags, f, env)) : flags[optionKey(f.flag)];
    if (value === undefined) {
      if (f.required && !partial) throw new Error(`${f.flag} is required for ${vendor.displayName} (${f.label}: ${f.hint})${f.env ? ` (or env ${f.env})` : ''}.`);
      continue;
    }
    body[f.name] = value;
  }
  return body;
}
