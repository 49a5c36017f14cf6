/**
 * Deciding for real devices, from the posture view in memory (no database query): find the device the caller
 * means (by id, presence token, address or user), judge its posture at this instant, evaluate the policy in
 * force, queue the decision for the log, and answer it. Allow and deny are both normal answers.
 *
 * - An address that no device has, or that several devices share, identifies nobody: DEVICE_UNKNOWN.
 * - A user may own several devices and the caller cannot say which one is asking, so a user is allowed only when
 *   every one of their devices is (fail closed); the answer lists each device's outcome.
 * - A denial that rests on a vendor's `<ns>:verified` also carries that vendor's verification reasons, and one
 *   that rests on another of its attributes (the agent's last report) carries its agent-silence reason, so
 *   AGENT_NOT_REPORTING and the like reach the gateway as codes.
 */
import type { Device, Verification } from '../devices/index.ts';
import type { Clock } from '../lib/clock.ts';
import type { IdGenerator } from '../lib/ids.ts';
import { createDecisionCache, policyChangesAt, type KeptDecision } from './decision-cache.ts';
import { decisionRecord, type AskedAbout, type DecisionLog, type DecisionLogInput, type DecisionRecord } from './decision-log.ts';
import {
  evaluate,
  withRiskLevel,
  type ActivePolicy,
  type Decision,
  type DecisionReason,
  type PolicySubject,
  type PostureException,
  type UserRiskLookup,
} from '../policy/index.ts';

export interface DecisionQuery {
  device?: string;
  address?: string;
  user?: string;
  /** A device's presence token (`pdp_…`), from enrollment. */
  deviceToken?: string;
  /** The caller could not say who is asking (a gateway without a usable client address): why, for the log. */
  unidentified?: string;
  dst: string;
}

export interface DecisionContext {
  via: 'api' | 'forward-auth';
  actor: string;
  requestId: string;
}

export interface DecisionAnswer extends Decision {
  device: { id: string; name: string; user: string | null } | null;
  /** For a user: each of their devices and its outcome. */
  devices?: { id: string; name: string; allow: boolean }[];
  policyVersion: number;
  decisionId: string;
  requestId: string;
}

/** A device as the posture view holds it; `device` is its record, the rest is the view's own. */
export interface ViewedDevice {
  readonly device: Device;
}

/**
 * A device's posture judged at some instant, valid for decisions in [its judgement's start, `until`). The view
 * returns the same object for as long as it holds, so decisions made from it can be kept by its identity.
 * `subject.nowMs` is the instant it was judged at; a decision puts its own instant in.
 */
export interface JudgedDevice {
  readonly subject: PolicySubject;
  /** Each vendor's verdict, by namespace. */
  readonly verification: Readonly<Record<string, Verification>>;
  /** Each vendor's agent-silence reason code, by namespace. */
  readonly silenceCodes?: Readonly<Record<string, string>>;
  readonly until: number;
}

/** What deciding reads: the posture view in memory (posture module), answering synchronously. */
export interface DecisionView {
  policy(): ActivePolicy;
  byId(id: string): ViewedDevice | null;
  /** The device a presence token identifies at `nowMs` (unknown, replaced, revoked or expired: null). */
  byPresenceToken(token: string, nowMs: number): ViewedDevice | null;
  byAddress(address: string): ViewedDevice[];
  byUser(user: string): ViewedDevice[];
  /** The device's posture judged at `nowMs` (no user risk level: the decision adds it). */
  judge(d: ViewedDevice, nowMs: number): JudgedDevice;
}

export interface DecisionServiceDeps {
  view: DecisionView;
  /** Bytes the kept decisions may be charged (default 64 MiB). */
  keptBytes?: number;
  log: Pick<DecisionLog, 'append'>;
  clock: Clock;
  ids: IdGenerator;
  /** Posture exceptions in force (from memory), and where a decision passed only because of one. */
  exceptions?: DecisionExceptions;
  /** A user's current risk level (risk module, in memory), read at every decision about a device with a user. */
  userRisk?: UserRiskLookup;
}

export interface DecisionExceptions {
  forDevice(deviceId: string, nowMs: number): Readonly<Record<string, PostureException>> | undefined;
  applied(deviceId: string, exceptionId: string, nowMs: number, requestId: string | null): void;
}

type Found = { devices: ViewedDevice[]; asked: AskedAbout } | { devices: []; asked: AskedAbout; why: string };

function unknown(why: string): Decision {
  return { allow: false, reasons: [{ code: 'DEVICE_UNKNOWN', message: why }], grant: null, postures: [] };
}

/**
 * The verification reasons that explain a denial: all of a vendor's when `<ns>:verified` failed, only its agent
 * silence when another of its attributes did.
 */
function withVerification(decision: Decision, judged: Pick<JudgedDevice, 'verification' | 'silenceCodes'>): Decision {
  if (decision.allow) return decision;
  const full = new Set<string>();
  const recency = new Set<string>();
  for (const r of decision.reasons) {
    const colon = r.attribute?.indexOf(':') ?? -1;
    if (colon < 0) continue;
    const ns = r.attribute!.slice(0, colon);
    if (!judged.verification[ns]) continue;
    if (r.attribute === `${ns}:verified`) full.add(ns);
    else recency.add(ns);
  }
  const extra: DecisionReason[] = [];
  for (const [ns, v] of Object.entries(judged.verification)) {
    if (full.has(ns)) for (const r of v.reasons) extra.push({ code: r.code as DecisionReason['code'], message: r.message });
    else if (recency.has(ns)) {
      const silent = judged.silenceCodes?.[ns];
      for (const r of v.reasons) if (r.code === silent) extra.push({ code: r.code as DecisionReason['code'], message: r.message });
    }
  }
  return extra.length === 0 ? decision : { ...decision, reasons: [...decision.reasons, ...extra] };
}

export function createDecisionService(deps: DecisionServiceDeps) {
  const { view } = deps;
  const kept = createDecisionCache(deps.keptBytes !== undefined ? { maxBytes: deps.keptBytes } : {});
  // A gateway's requests arrive many to a millisecond: the log's time text is made once per millisecond.
  let isoMs = NaN;
  let iso = '';
  const isoAt = (ms: number) => (ms === isoMs ? iso : ((isoMs = ms), (iso = new Date(ms).toISOString())));

  /** A decision that passed only because of an exception reports the exception's use. */
  function exceptionUsed(d: ViewedDevice, decision: Decision, nowMs: number, requestId: string) {
    if (!decision.allow || decision.reasons.length < 2 || !deps.exceptions) return;
    const excepted = decision.reasons.find((r) => r.code === 'EXCEPTION_APPLIED');
    if (excepted?.exceptionId) deps.exceptions.applied(d.device.id, excepted.exceptionId, nowMs, requestId);
  }

  /** The decision for one device at `nowMs`: kept from an earlier request while nothing it rests on changed. */
  function decideFor(d: ViewedDevice, dst: string, active: ActivePolicy, nowMs: number): KeptDecision {
    const judged = view.judge(d, nowMs);
    const exceptions = deps.exceptions?.forDevice(d.device.id, nowMs);
    const risk = deps.userRisk && d.device.user ? deps.userRisk(d.device.user, nowMs) : undefined;
    if (!exceptions) {
      const found = kept.get(judged, active, risk, dst, nowMs);
      if (found) return found;
    }
    const subject = withRiskLevel({ ...judged.subject, nowMs, ...(exceptions ? { exceptions } : {}) }, risk);
    const decision = withVerification(evaluate(active.policy, subject, dst), judged);
    const until = Math.min(judged.until, policyChangesAt(active.policy, subject.attributes, nowMs));
    const made: KeptDecision = { decision, from: nowMs, until, record: decisionRecord(decision) };
    if (!exceptions) kept.set(judged, active, risk, dst, made);
    return made;
  }

  function find(q: DecisionQuery, nowMs: number): Found {
    if (q.unidentified !== undefined) return { devices: [], asked: {}, why: q.unidentified };
    if (q.deviceToken !== undefined) {
      const asked: AskedAbout = { token: true };
      const d = view.byPresenceToken(q.deviceToken, nowMs);
      return d ? { devices: [d], asked } : { devices: [], asked, why: 'the presence token is unknown, replaced, revoked or expired' };
    }
    if (q.device !== undefined) {
      const asked: AskedAbout = { device: q.device };
      const d = view.byId(q.device);
      return d ? { devices: [d], asked } : { devices: [], asked, why: `no device has id ${q.device}` };
    }
    if (q.address !== undefined) {
      const asked: AskedAbout = { address: q.address };
      const list = view.byAddress(q.address);
      if (list.length > 1) {
        const ids = list.map((d) => d.device.id);
        return { devices: [], asked, why: `address ${q.address} belongs to ${ids.length} devices (${ids.join(', ')}); postern cannot tell which one is asking` };
      }
      return list.length > 0 ? { devices: list, asked } : { devices: [], asked, why: `no device has address ${q.address}` };
    }
    const user = q.user ?? '';
    const asked: AskedAbout = { user };
    const list = view.byUser(user);
    return list.length > 0 ? { devices: list, asked } : { devices: [], asked, why: `no device belongs to ${user}` };
  }

  /** Decides and logs; what callers answer is built from this (a gateway needs far less than the API). */
  function run(q: DecisionQuery, ctx: DecisionContext): Decided {
    const dst = q.dst.trim();
    const active = view.policy();
    const nowMs = deps.clock.nowMs();
    const found = find(q, nowMs);
    let decision: Decision;
    let keptDecision: KeptDecision | null = null;
    let device: Device | null = null;
    let perDevice: DecisionAnswer['devices'];
    if ('why' in found) {
      decision = unknown(found.why);
    } else if (found.devices.length === 1) {
      // The usual case (a device by id, address or token), without the lists a user's several devices need.
      const only = found.devices[0] as ViewedDevice;
      keptDecision = decideFor(only, dst, active, nowMs);
      decision = keptDecision.decision;
      device = only.device;
      exceptionUsed(only, decision, nowMs, ctx.requestId);
      if (found.asked.user !== undefined) perDevice = [{ id: device.id, name: device.name, allow: decision.allow }];
    } else {
      const made = found.devices.map((d) => decideFor(d, dst, active, nowMs));
      const decisions = made.map((k) => k.decision);
      const chosen = chosenDecision(decisions);
      for (const [i, d] of decisions.entries()) exceptionUsed(found.devices[i] as ViewedDevice, d, nowMs, ctx.requestId);
      keptDecision = made[chosen] as KeptDecision;
      decision = keptDecision.decision;
      device = (found.devices[chosen] as ViewedDevice).device;
      if (found.asked.user !== undefined) {
        perDevice = found.devices.map((d, i) => ({ id: d.device.id, name: d.device.name, allow: (decisions[i] as Decision).allow }));
      }
    }
    const record = keptDecision ? (keptDecision.record ??= decisionRecord(decision)) : decisionRecord(decision);
    const decisionId = deps.ids('dec');
    // The log reads the device record as it is (id, name, user): nothing is copied per request.
    const entry: DecisionLogInput = {
      id: decisionId,
      at: isoAt(nowMs),
      atMs: nowMs,
      device,
      asked: found.asked,
      dst,
      allow: decision.allow,
      reasons: decision.reasons,
      grant: decision.grant,
      postures: decision.postures,
      policyVersion: active.version,
      via: ctx.via,
      actor: ctx.actor,
      requestId: ctx.requestId,
      record,
    };
    if (decision.wouldDeny) entry.wouldDeny = true;
    deps.log.append(entry);
    return { decision, record, device, perDevice, policyVersion: active.version, decisionId, requestId: ctx.requestId };
  }

  return {
    /** Answers from memory; the promise is for callers that treat every service alike. */
    async decide(q: DecisionQuery, ctx: DecisionContext): Promise<DecisionAnswer> {
      return answerOf(run(q, ctx));
    },

    decideNow(q: DecisionQuery, ctx: DecisionContext): DecisionAnswer {
      return answerOf(run(q, ctx));
    },

    /**
     * For a gateway: decides and logs like `decideNow`, and returns the decision itself (a kept decision is the
     * same object for every request it answers, so what is told of it can be worked out once) and its device.
     */
    decideForGateway(q: DecisionQuery, ctx: DecisionContext): Decided {
      return run(q, ctx);
    },

    /**
     * The answer as JSON text: the same fields as `decideNow`'s, with the explanation's text serialised once per
     * kept decision (it is most of the answer) rather than once per request.
     */
    decideJson(q: DecisionQuery, ctx: DecisionContext): string {
      const decided = run(q, ctx);
      const { allow: _allow, reasons: _reasons, grant: _grant, postures: _postures, wouldDeny: _wouldDeny, ...rest } = answerOf(decided);
      return `{"allow":${decided.decision.allow},${decided.record.decisionJson.slice(1, -1)},${JSON.stringify(rest).slice(1)}`;
    },

    /**
     * The answer a gateway key gets, as JSON text: the outcome only (`allow`, `wouldDeny`, distinct reason codes,
     * request id, the device's id), never the policy's inputs (user, attribute values, risk level, postures).
     */
    outcomeJson(q: DecisionQuery, ctx: DecisionContext): string {
      const { decision, record, device } = run(q, ctx);
      return `{"allow":${decision.allow},"wouldDeny":${decision.wouldDeny === true},"reasons":${codesJson(record)},"requestId":${JSON.stringify(ctx.requestId)},"device":${
        device ? `{"id":${JSON.stringify(device.id)}}` : 'null'
      }}`;
    },

    /** Bytes charged for the kept decisions (for the gate's cache metric). */
    keptBytes: () => kept.bytes(),
  };
}

/** A decision as made and logged, before it is shaped into an answer. */
export interface Decided {
  readonly decision: Decision;
  readonly record: DecisionRecord;
  readonly device: Device | null;
  readonly perDevice: DecisionAnswer['devices'];
  readonly policyVersion: number;
  readonly decisionId: string;
  readonly requestId: string;
}

/** The API's answer: the decision, the device it is about, and the ids to find it in the log by. */
function answerOf(d: Decided): DecisionAnswer {
  const { decision, device } = d;
  const answer: DecisionAnswer = {
    allow: decision.allow,
    ...(decision.wouldDeny ? { wouldDeny: true } : {}),
    reasons: decision.reasons,
    grant: decision.grant,
    postures: decision.postures,
    device: device ? { id: device.id, name: device.name, user: device.user } : null,
    policyVersion: d.policyVersion,
    decisionId: d.decisionId,
    requestId: d.requestId,
  };
  if (d.perDevice) answer.devices = d.perDevice;
  return answer;
}

const codesOf = new WeakMap<DecisionRecord, string>();
/** A record's distinct reason codes as a JSON array, worked out once per kept decision. */
function codesJson(record: DecisionRecord): string {
  let json = codesOf.get(record);
  if (json === undefined) {
    json = JSON.stringify(record.reasonCodes === '' ? [] : record.reasonCodes.split(','));
    codesOf.set(record, json);
  }
  return json;
}

/** For a user's several devices: the first denied, else the first that would be denied, else the first. */
function chosenDecision(decisions: readonly Decision[]): number {
  const denied = decisions.findIndex((d) => !d.allow);
  if (denied >= 0) return denied;
  return Math.max(0, decisions.findIndex((d) => d.wouldDeny === true));
}

export type DecisionService = ReturnType<typeof createDecisionService>;
