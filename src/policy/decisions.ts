/**
 * Deciding for real devices: find the device the caller means (by id, device token, address or user), build its
 * subject from live attributes (stale ones marked), evaluate the policy in force, log the decision with its full
 * explanation, and answer it. Allow and deny are both normal answers.
 *
 * - An address that no device has, or that several devices share, identifies nobody: DEVICE_UNKNOWN.
 * - A user may own several devices and the caller cannot say which one is asking, so a user is allowed only when
 *   every one of their devices is (fail closed); the answer lists each device's outcome.
 */
import type { Device } from '../devices/index.ts';
import type { Clock } from '../lib/clock.ts';
import type { IdGenerator } from '../lib/ids.ts';
import type { Store } from '../store/index.ts';
import type { AskedAbout, DecisionLog } from './decision-log.ts';
import { evaluate } from './evaluator.ts';
import type { ActivePolicy } from './service.ts';
import type { SubjectDeviceRepo, SubjectSource } from './subjects.ts';
import type { Decision, PostureException } from './types.ts';

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
  device: { id: string; name: string } | null;
  /** For a user: each of their devices and its outcome. */
  devices?: { id: string; name: string; allow: boolean }[];
  policyVersion: number;
  decisionId: string;
  requestId: string;
}

export interface DecisionServiceDeps {
  store: Store;
  policies: { active(): Promise<ActivePolicy> };
  devices: SubjectDeviceRepo;
  subjects: Pick<SubjectSource, 'forDevices'>;
  log: Pick<DecisionLog, 'append'>;
  clock: Clock;
  ids: IdGenerator;
  /** The device a presence token belongs to (enrolled agents); absent when tokens are not in use. */
  deviceForToken?: (token: string) => Promise<string | null>;
  /** Posture exceptions in force (from memory), and where a decision passed only because of one. */
  exceptions?: DecisionExceptions;
}

export interface DecisionExceptions {
  forDevice(deviceId: string, nowMs: number): Readonly<Record<string, PostureException>> | undefined;
  applied(deviceId: string, exceptionId: string, nowMs: number, requestId: string | null): void;
}

type Found = { devices: Device[]; asked: AskedAbout } | { devices: []; asked: AskedAbout; why: string };

function unknown(why: string): Decision {
  return { allow: false, reasons: [{ code: 'DEVICE_UNKNOWN', message: why }], grant: null, postures: [] };
}

export function createDecisionService(deps: DecisionServiceDeps) {
  const { store, devices } = deps;

  async function byIds(ids: readonly string[]): Promise<Device[]> {
    const found = await Promise.all(ids.map((id) => devices.get(store.db, id)));
    return found.filter((d): d is Device => d !== null);
  }

  async function find(q: DecisionQuery): Promise<Found> {
    if (q.deviceToken !== undefined) {
      const asked: AskedAbout = { token: true };
      const id = deps.deviceForToken ? await deps.deviceForToken(q.deviceToken) : null;
      const list = id ? await byIds([id]) : [];
      return list.length > 0 ? { devices: list, asked } : { devices: [], asked, why: 'the presence token is unknown or was replaced' };
    }
    if (q.device !== undefined) {
      const asked: AskedAbout = { device: q.device };
      const list = await byIds([q.device]);
      return list.length > 0 ? { devices: list, asked } : { devices: [], asked, why: `no device has id ${q.device}` };
    }
    if (q.address !== undefined) {
      const asked: AskedAbout = { address: q.address };
      const ids = await devices.findIdsByAddress(store.db, q.address);
      if (ids.length > 1) {
        return { devices: [], asked, why: `address ${q.address} belongs to ${ids.length} devices (${ids.join(', ')}); postern cannot tell which one is asking` };
      }
      const list = await byIds(ids);
      return list.length > 0 ? { devices: list, asked } : { devices: [], asked, why: `no device has address ${q.address}` };
    }
    const user = q.user ?? '';
    const asked: AskedAbout = { user };
    let ids = await devices.findIdsByUser(store.db, user);
    if (ids.length === 0 && user !== user.toLowerCase()) ids = await devices.findIdsByUser(store.db, user.toLowerCase());
    const list = await byIds(ids);
    return list.length > 0 ? { devices: list, asked } : { devices: [], asked, why: `no device belongs to ${user}` };
  }

  return {
    async decide(q: DecisionQuery, ctx: DecisionContext): Promise<DecisionAnswer> {
      const dst = q.dst.trim();
      const [active, found] = await Promise.all([deps.policies.active(), find(q)]);
      let decision: Decision;
      let device: Device | null = null;
      let perDevice: DecisionAnswer['devices'];
      if ('why' in found) {
        decision = unknown(found.why);
      } else {
        const nowMs = deps.clock.nowMs();
        const subjects = await deps.subjects.forDevices(store.db, found.devices);
        const decisions = subjects.map((s) => {
          const exceptions = s.deviceId === null ? undefined : deps.exceptions?.forDevice(s.deviceId, nowMs);
          return evaluate(active.policy, exceptions ? { ...s, exceptions } : s, dst);
        });
        const chosen = chosenDecision(decisions);
        for (const [i, d] of decisions.entries()) {
          const excepted = d.reasons.find((r) => r.code === 'EXCEPTION_APPLIED');
          if (excepted?.exceptionId) deps.exceptions?.applied((found.devices[i] as Device).id, excepted.exceptionId, nowMs, ctx.requestId);
        }
        decision = decisions[chosen] as Decision;
        device = found.devices[chosen] as Device;
        if (found.asked.user !== undefined) {
          perDevice = found.devices.map((d, i) => ({ id: d.id, name: d.name, allow: (decisions[i] as Decision).allow }));
        }
      }
      const answer: DecisionAnswer = {
        allow: decision.allow,
        ...(decision.wouldDeny ? { wouldDeny: true } : {}),
        reasons: decision.reasons,
        grant: decision.grant,
        postures: decision.postures,
        device: device ? { id: device.id, name: device.name } : null,
        ...(perDevice ? { devices: perDevice } : {}),
        policyVersion: active.version,
        decisionId: deps.ids('dec'),
        requestId: ctx.requestId,
      };
      deps.log.append({
        id: answer.decisionId,
        at: deps.clock.now().toISOString(),
        device: answer.device,
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
