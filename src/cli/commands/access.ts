/**
 * `postern api-keys …` and `postern enrollment-keys …`: list, create (the secret is printed once, never again) and
 * revoke the keys that reach postern; `postern sessions …`: the console's live sign-in sessions, and revoking one.
 * Each create and revoke is audited by the API.
 */
import type { Command } from 'commander';
import type { ApiKey } from '../../keys/index.ts';
import { clientAction, clientCommand, collect, columns } from './client-action.ts';
import { callApiOrThrow, consoleOutput, type Output } from './remote.ts';
import { expiryOf } from './exceptions.ts';

/** An API key as the API answers it (never the key itself, but at create). */
type ApiKeyView = ApiKey;

interface EnrollmentKeyView {
  id: string;
  prefix: string;
  reusable: boolean;
  tags: string[];
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  uses: number;
  user: string | null;
  autoApproveSerials: boolean;
}

interface SessionView {
  id: string;
  method: string;
  role: string;
  actor: string;
  email: string | null;
  createdAt: string;
  expiresAt: string;
  lastSeenAt: string;
}

const state = (k: { revokedAt: string | null; expiresAt: string | null }) =>
  k.revokedAt ? 'revoked' : k.expiresAt && Date.parse(k.expiresAt) <= Date.now() ? 'expired' : 'active';

const ONCE = 'Keep it now: postern stores only its hash and will not show it again.';

export function registerAccessCommands(program: Command, io: Output = consoleOutput): void {
  const apiKeys = program.command('api-keys').description('API keys for people, scripts and gateways (admin, viewer, enroll, gateway)');

  clientCommand(apiKeys, 'list', 'API keys with role and state (never the keys themselves)').action(
    clientAction(io, async (remote, flags) => {
      const answer = await callApiOrThrow<{ data: ApiKeyView[] }>(remote, 'GET', '/v1/api-keys');
      if (flags.json) return answer;
      const rows = answer.data.map((k) => [k.id, k.name, k.role, state(k), k.expiresAt ?? 'never', k.lastUsedAt ?? 'never']);
      for (const line of columns([['ID', 'NAME', 'ROLE', 'STATE', 'EXPIRES', 'LAST USED'], ...rows])) io.out(line);
    }),
  );

  clientCommand(apiKeys, 'create', 'Create an API key; the key is printed this once')
    .requiredOption('--name <name>', 'who or what uses it')
    .requiredOption('--role <role>', 'admin, viewer, enroll or gateway')
    .option('--expires <when>', 'an ISO time or a duration from now: 12h, 90d')
    .action(
      clientAction(io, async (remote, flags) => {
        const f = flags as typeof flags & { name: string; role: string; expires?: string };
        const created = await callApiOrThrow<ApiKeyView & { key: string }>(remote, 'POST', '/v1/api-keys', {
          name: f.name,
          role: f.role,
          ...(f.expires ? { expiresAt: expiryOf(f.expires) } : {}),
        });
        if (flags.json) return created;
        io.out(`${created.id}  ${created.name}  ${created.role}${created.expiresAt ? `  expires ${created.expiresAt}` : ''}`);
        io.out(created.key);
        io.err(ONCE);
      }),
    );

  clientCommand(apiKeys, 'revoke', 'Revoke an API key; requests with it are refused from now on')
    .argument('<id>', 'API key id (key_…)')
    .action(
      clientAction(io, async (remote, flags, id: string) => {
        await callApiOrThrow(remote, 'DELETE', `/v1/api-keys/${encodeURIComponent(id)}`);
        if (flags.json) return { revoked: id };
        io.out(`Revoked ${id}.`);
      }),
    );

  const enrollment = program.command('enrollment-keys').description('Enrollment keys with which `postern agent` registers machines');

  clientCommand(enrollment, 'list', 'Enrollment keys with their use and state (never the keys themselves)').action(
    clientAction(io, async (remote, flags) => {
      const answer = await callApiOrThrow<{ data: EnrollmentKeyView[] }>(remote, 'GET', '/v1/enrollment-keys');
      if (flags.json) return answer;
      const rows = answer.data.map((k) => [
        k.id,
        state(k),
        k.reusable ? `reusable, ${k.uses} use${k.uses === 1 ? '' : 's'}` : k.uses > 0 ? 'used' : 'unused',
        k.user ?? '',
        k.tags.join(' '),
        k.expiresAt ?? 'never',
      ]);
      for (const line of columns([['ID', 'STATE', 'USE', 'USER', 'TAGS', 'EXPIRES'], ...rows])) io.out(line);
    }),
  );

  clientCommand(enrollment, 'create', 'Create an enrollment key for `postern agent report --enroll-key`; the key is printed this once')
    .option('--reusable', 'many machines may enroll with it (default: one)')
    .option('--expires <when>', 'an ISO time or a duration from now: 12h, 7d')
    .option('--tag <tag>', 'tag:<name> every enrolled device gets (repeatable)', collect)
    .option('--user <email>', 'every device enrolled with it belongs to this user')
    .option('--auto-approve-serials', 'approve the serials machines name at enrollment (default: they wait for an admin)')
    .action(
      clientAction(io, async (remote, flags) => {
        const f = flags as typeof flags & { reusable?: boolean; expires?: string; tag?: string[]; user?: string; autoApproveSerials?: boolean };
        const created = await callApiOrThrow<EnrollmentKeyView & { key: string }>(remote, 'POST', '/v1/enrollment-keys', {
          reusable: f.reusable === true,
          tags: f.tag ?? [],
          autoApproveSerials: f.autoApproveSerials === true,
          ...(f.expires ? { expiresAt: expiryOf(f.expires) } : {}),
          ...(f.user ? { user: f.user } : {}),
        });
        if (flags.json) return created;
        io.out(`${created.id}  ${created.reusable ? 'reusable' : 'single use'}${created.expiresAt ? `  expires ${created.expiresAt}` : ''}${created.tags.length ? `  ${created.tags.join(' ')}` : ''}`);
        io.out(created.key);
        io.err(`${ONCE} Enroll a machine with: postern agent report --server URL --enroll-key ${created.key.slice(0, 8)}…`);
      }),
    );

  clientCommand(enrollment, 'revoke', 'Revoke an enrollment key; machines already enrolled keep their device tokens')
    .argument('<id>', 'enrollment key id (ek_…)')
    .action(
      clientAction(io, async (remote, flags, id: string) => {
        await callApiOrThrow(remote, 'DELETE', `/v1/enrollment-keys/${encodeURIComponent(id)}`);
        if (flags.json) return { revoked: id };
        io.out(`Revoked ${id}; machines enrolled with it keep working, new ones cannot use it.`);
      }),
    );

  const sessions = program.command('sessions').description("The console's sign-in sessions (single sign-on or break-glass API key)");

  clientCommand(sessions, 'list', 'Console sessions live now: who, role, how they signed in, until when').action(
    clientAction(io, async (remote, flags) => {
      const answer = await callApiOrThrow<{ data: SessionView[] }>(remote, 'GET', '/v1/console/sessions');
      if (flags.json) return answer;
      if (answer.data.length === 0) return void io.out('Nobody is signed in to the console.');
      const rows = answer.data.map((x) => [x.id, x.email ?? x.actor, x.role, x.method === 'api-key' ? 'API key (break-glass)' : 'single sign-on', x.lastSeenAt, x.expiresAt]);
      for (const line of columns([['ID', 'WHO', 'ROLE', 'SIGNED IN WITH', 'LAST SEEN', 'EXPIRES'], ...rows])) io.out(line);
    }),
  );

  clientCommand(sessions, 'revoke', 'End a console session now: its next request is refused and the person signs in again')
    .argument('<id>', 'session id (ses_…)')
    .action(
      clientAction(io, async (remote, flags, id: string) => {
        await callApiOrThrow(remote, 'DELETE', `/v1/console/sessions/${encodeURIComponent(id)}`);
        if (flags.json) return { revoked: id };
        io.out(`Revoked ${id}; that person must sign in again.`);
      }),
    );
}
