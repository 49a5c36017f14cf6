/**
 * Registering and reporting. The first run enrolls this machine with an enrollment key and keeps what it was told
 * (server, CA file, --name, --serial) with its tokens; every later run reports with the report token and those same
 * settings. A setting that differs from the kept one is refused unless the caller says to change it (`reconfigure`).
 */
import { AgentError } from './errors.ts';
import { callApi, checkServerUrl, readCa, type Remote } from './http.ts';
import type { DeviceFacts } from './facts.ts';
import { loadState, saveState, type AgentState } from './state.ts';

export interface LoginStart {
  login: string;
  verificationUri: string;
  verificationUriComplete: string | null;
  userCode: string;
  intervalSeconds: number;
  expiresInSeconds: number;
}

export interface ReportOptions {
  /** Default: the server kept at enrollment. */
  server?: string | undefined;
  enrollKey?: string | undefined;
  stateFile: string;
  /** The machine as collected now (`serialsReadable: false` when the firmware could not be read here). */
  facts: DeviceFacts & { serialsReadable?: boolean };
  /** `--name` / `--serial` / `--ca-file`: kept at enrollment, then used by every report. */
  name?: string | undefined;
  serialNumbers?: string[] | undefined;
  caFile?: string | undefined;
  /** Replace kept settings with the ones given (otherwise a different value is refused). */
  reconfigure?: boolean | undefined;
  /** A user the device names itself: only a claim, until an admin approves it. */
  user?: string | undefined;
  /** Sign in at the identity provider: `prompt` shows where to go, `sleep` waits between asks (the provider's interval). */
  login?: { prompt(start: LoginStart): void; sleep(ms: number): Promise<void> } | undefined;
}

export interface ReportResult {
  deviceId: string;
  registered: boolean;
  /** What was sent: the facts with the kept settings applied. */
  sent: DeviceFacts;
}

async function withLogin<T>(remote: Remote, login: NonNullable<ReportOptions['login']>, send: (body: Record<string, unknown>) => Promise<T>, body: Record<string, unknown>): Promise<T> {
  const start = await callApi<LoginStart>(remote, 'POST', '/v1/enroll/login');
  login.prompt(start);
  const attempts = Math.max(1, Math.ceil(start.expiresInSeconds / Math.max(1, start.intervalSeconds)));
  for (let attempt = 1; ; attempt++) {
    try {
      return await send({ ...body, login: start.login });
    } catch (err) {
      if (!(err instanceof AgentError && err.code === 'LOGIN_PENDING') || attempt >= attempts) throw err;
      await login.sleep(start.intervalSeconds * 1000);
    }
  }
}

const sameList = (a: readonly string[] | null | undefined, b: readonly string[] | null | undefined) =>
  JSON.stringify([...(a ?? [])].sort()) === JSON.stringify([...(b ?? [])].sort());

/** The kept settings with the given ones applied; a change without `reconfigure` is refused, naming the flag. */
export function mergeSettings(state: AgentState, o: Pick<ReportOptions, 'name' | 'serialNumbers' | 'caFile' | 'reconfigure'>): AgentState {
  const next = { ...state };
  const conflicts: string[] = [];
  if (o.name !== undefined && o.name !== (state.name ?? undefined)) {
    if (o.reconfigure) next.name = o.name;
    else conflicts.push(`--name ${JSON.stringify(o.name)} (enrolled as ${JSON.stringify(state.name ?? '<host name>')})`);
  }
  if (o.serialNumbers !== undefined && !sameList(o.serialNumbers, state.serialNumbers)) {
    if (o.reconfigure) next.serialNumbers = o.serialNumbers;
    else conflicts.push(`--serial ${o.serialNumbers.join(' ')} (enrolled with ${state.serialNumbers?.join(' ') ?? 'the firmware serial'})`);
  }
  if (o.caFile !== undefined && o.caFile !== (state.caFile ?? undefined)) {
    if (o.reconfigure) Object.assign(next, { caFile: o.caFile, caPem: readCa(o.caFile) });
    else conflicts.push(`--ca-file ${o.caFile} (enrolled with ${state.caFile ?? 'the system CAs'})`);
  }
  if (conflicts.length > 0) {
    throw new AgentError('SETTING_CHANGED', `This agent was enrolled with other settings: ${conflicts.join('; ')}. Pass --reconfigure to change them, or leave the flags out.`);
  }
  return next;
}

/** What a report sends: the machine's facts with the kept name and serials. */
export function factsToSend(state: Pick<AgentState, 'name' | 'serialNumbers' | 'firmwareSerials'>, facts: ReportOptions['facts']): DeviceFacts {
  const { serialsReadable, ...plain } = facts;
  const serialNumbers = state.serialNumbers ?? (serialsReadable === false ? (state.firmwareSerials ?? []) : facts.serialNumbers);
  return { ...plain, name: state.name ?? facts.name, serialNumbers };
}

/** Registers or reports; answers the device id, whether it was a new registration, and what was sent. */
export async function report(o: ReportOptions): Promise<ReportResult> {
  const existing = loadState(o.stateFile);
  const server = o.server !== undefined ? checkServerUrl(o.server) : existing?.server;
  if (!server) throw new AgentError('VALIDATION_FAILED', 'This machine is not enrolled yet: pass --server and --enroll-key.');
  if (existing && existing.server === server) {
    const state = mergeSettings(existing, o);
    const remote: Remote = { server, token: state.deviceToken, ca: state.caPem };
    const body = factsToSend(state, o.facts);
    type Reported = { id: string; tokens?: { deviceToken: string; presenceToken: string } };
    const send = (b: Record<string, unknown>) => callApi<Reported>(remote, 'PUT', '/v1/enroll/self', b);
    const device = o.login ? await withLogin(remote, o.login, send, { ...body }) : await send({ ...body });
    // An admin rotated this device's tokens: the answer carries the new ones, and the old ones no longer work.
    const tokens = device.tokens ? { deviceToken: device.tokens.deviceToken, presenceToken: device.tokens.presenceToken } : {};
    const firmwareSerials = o.facts.serialsReadable !== false && state.serialNumbers == null ? o.facts.serialNumbers : state.firmwareSerials;
    const next: AgentState = { ...state, ...tokens, ...(firmwareSerials ? { firmwareSerials } : {}) };
    if (JSON.stringify(next) !== JSON.stringify(existing)) saveState(o.stateFile, next);
    return { deviceId: device.id, registered: false, sent: body };
  }
  if (existing && !o.enrollKey) {
    throw new AgentError('SETTING_CHANGED', `This agent is enrolled with ${existing.server}, not ${server}: to move it, pass --enroll-key from the new server.`);
  }
  if (!o.enrollKey) {
    throw new AgentError('UNAUTHENTICATED', `This machine is not enrolled with ${server} yet: pass --enroll-key with a key from an admin.`);
  }
  const settings = { name: o.name ?? null, serialNumbers: o.serialNumbers ?? null, caFile: o.caFile ?? null, caPem: o.caFile ? readCa(o.caFile) : null };
  const remote: Remote = { server, token: o.enrollKey, ca: settings.caPem };
  const sent = factsToSend(settings, o.facts);
  const body: Record<string, unknown> = { ...sent, ...(o.user ? { user: o.user } : {}) };
  type Enrolled = { device: { id: string }; deviceToken: string; presenceToken: string };
  const send = (b: Record<string, unknown>) => callApi<Enrolled>(remote, 'POST', '/v1/enroll', b);
  const res = o.login ? await withLogin(remote, o.login, send, body) : await send(body);
  saveState(o.stateFile, {
    server,
    ...settings,
    deviceId: res.device.id,
    deviceToken: res.deviceToken,
    presenceToken: res.presenceToken,
    firmwareSerials: settings.serialNumbers === null && o.facts.serialsReadable !== false ? o.facts.serialNumbers : [],
  });
  return { deviceId: res.device.id, registered: true, sent };
}
