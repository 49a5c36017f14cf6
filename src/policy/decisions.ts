/**
 * Deciding for real devices, from the posture view in memory (no database query): find the device the caller
 * means (by id, presence token, address or user), judge its posture at this instant, evaluate the policy in
 * force, queue the decision for the log, and answer it. Allow and deny are both normal answers.
 *
 * - An address that no device has, or that several devices share, identifies nobody: DEVICE_UNKNOWN.
 * - A user may own several devices and the caller cannot say which one is asking, so a user is allowed only when
 *   every one of their devices is (fail closed); the answer lists each device's outcome.
 * - A denial that rests on `sentinelOne:verified` (or on the agent's last report) also carries the verification
 *   reasons, so AGENT_NOT_REPORTING and the like reach the gateway as codes.
 */
import type { Device, Verification } from '../devices/index.ts';
import type { Clock } from '../lib/clock.ts';
import type { IdGenerator } from '../lib/ids.ts';
import type { AskedAbout, DecisionLog } from './decision-log.ts';
import { evaluate } from './evaluator.ts';
import type { ActivePolicy } from './service.ts';
import type { Decision, DecisionReason, PolicySubject, PostureException } from './types.ts';

export interface DecisionQuery {
  device?: string;
  address?: string;
  user?: string;
  /** A device's presence token (`pdp_…`), from enrollment. */
  deviceToken?: string;
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

/** What deciding reads: the posture view in memory (posture module), answering synchronously. */
export interface DecisionView {
  policy(): ActivePolicy;
  byId(id: string): ViewedDevice | null;
  /** The device a presence token identifies at `nowMs` (unknown, replaced, revoked or expired: null). */
  byPresenceToken(token: string, nowMs: number): ViewedDevice | null;
  byAddress(address: string): ViewedDevice[];
  byUser(user: string): ViewedDevice[];
  /** The device's subject and verification judged at `nowMs`. */
  judge(d: ViewedDevice, nowMs: number): { subject: PolicySubject; verification: Verification };
}

export interface DecisionServiceDeps {
  view: DecisionView;
  log: Pick<DecisionLog, 'append'>;
  clock: Clock;
  ids: IdGenerator;
  /** Posture exceptions in force (from memory), and where a decision passed only because of one. */
  exceptions?: DecisionExceptions;
}

export interface DecisionExceptions {
  forDevice(deviceId: string, nowMs: number): Readonly<Record<string, PostureException>> | undefined;
  applied(deviceId: string, exceptionId: string, nowMs: number, requestId: string | null): void;
}

type Found = { devices: ViewedDevice[]; asked: AskedAbout } | { devices: []; asked: AskedAbout; why: string };

function unknown(why: string): Decision {
  return { allow: false, reasons: [{ code: 'DEVICE_UNKNOWN', message: why }], grant: null, postures: [] };
}

/** Attributes whose failure is explained by the device's verification reasons. */
const VERIFICATION_ATTRIBUTES = new Set(['sentinelOne:verified', 'sentinelOne:lastActiveAt']);

function withVerification(decision: Decision, verification: Verification): Decision {
  if (decision.allow || !decision.reasons.some((r) => r.attribute !== undefined && VERIFICATION_ATTRIBUTES.has(r.attribute))) return decision;
  const onlyRecency = !decision.reasons.some((r) => r.attribute === 'sentinelOne:verified');
  const extra: DecisionReason[] = verification.reasons
    .filter((r) => !onlyRecency || r.code === 'AGENT_NOT_REPORTING')
    .map((r) => ({ code: r.code, message: r.message }));
  return extra.length === 0 ? decision : { ...decision, reasons: [...decision.reasons, ...extra] };
}

export function createDecisionService(deps: DecisionServiceDeps) {
  const { view } = deps;

  function find(q: DecisionQuery, nowMs: number): Found {
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

  return {
    /** Answers from memory; the promise is for callers that treat every service alike. */
    async decide(q: DecisionQuery, ctx: DecisionContext): Promise<DecisionAnswer> {
      return this.decideNow(q, ctx);
    },

    decideNow(q: DecisionQuery, ctx: DecisionContext): DecisionAnswer {
      const dst = q.dst.trim();
      const active = view.policy();
      const nowMs = deps.clock.nowMs();
      const found = find(q, nowMs);
      let decision: Decision;
      let device: Device | null = null;
      let perDevice: DecisionAnswer['devices'];
      if ('why' in found) {
        decision = unknown(found.why);
      } else {
        const decisions = found.devices.map((d) => {
          const { subject, verification } = view.judge(d, nowMs);
          const exceptions = deps.exceptions?.forDevice(d.device.id, nowMs);
          return withVerification(evaluate(active.policy, exceptions ? { ...subject, exceptions } : subject, dst), verification);
        });
        const chosen = chosenDecision(decisions);
        for (const [i, d] of decisions.entries()) {
          const excepted = d.reasons.find((r) => r.code === 'EXCEPTION_APPLIED');
          if (excepted?.exceptionId) deps.exceptions?.applied((found.devices[i] as ViewedDevice).device.id, excepted.exceptionId, nowMs, ctx.requestId);
        }
        decision = decisions[chosen] as Decision;
        device = (found.devices[chosen] as ViewedDevice).device;
        if (found.asked.user !== undefined) {
          perDevice = found.devices.map((d, i) => ({ id: d.device.id, name: d.device.name, allow: (decisions[i] as Decision).allow }));
        }
      }
      const answer: DecisionAnswer = {
        allow: decision.allow,
        ...(decision.wouldDeny ? { wouldDeny: true } : {}),
        reasons: decision.reasons,
        grant: decision.grant,
        postures: decision.postures,
        device: device ? { id: device.id, name: device.name, user: device.user } : null,
        ...(perDevice ? { devices: perDevice } : {}),
        policyVersion: active.version,
        decisionId: deps.ids('dec'),
        requestId: ctx.requestId,
      };
      deps.log.append({
        id: answer.decisionId,
        at: new Date(nowMs).toISOString(),
        device: device ? { id: device.id, name: device.name } : null,
        asked: found.asked,
        dst,
        allow: answer.allow,
        ...(decision.wouldDeny ? { wouldDeny: true } : {}),
        reasons: answer.reasons,
        grant: answer.grant,
        postures: answer.postures,
        policyVersion: active.version,
        via: ctx.via,
        actor: ctx.actor,
        requestId: ctx.requestId,
      });
      return answer;
    },
  };
}

/** For a user's several devices: the first denied, else the first that would be denied, else the first. */
function chosenDecision(decisions: readonly Decision[]): number {
  const denied = decisions.findIndex((d) => !d.allow);
  if (denied >= 0) return denied;
  return Math.max(0, decisions.findIndex((d) => d.wouldDeny === true));
}

export type DecisionService = ReturnType<typeof createDecisionService>;
