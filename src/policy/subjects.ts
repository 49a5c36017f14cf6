/**
 * Loads policy subjects from the store for dry runs (every device, a page at a time), each judged at this instant
 * with the same function the device view and decisions use (`judgePosture`).
 */
import type { Device, DeviceRepo, VendorVerifier, VerifyingIntegration } from '../devices/index.ts';
import type { Clock } from '../lib/clock.ts';
import type { Executor } from '../store/index.ts';
import type { DiffSubject } from './diff.ts';
import { buildSubject, withUserRisk, type UserRiskLookup } from './subject.ts';
import type { PolicySubject } from './types.ts';

export type SubjectDeviceRepo = Pick<DeviceRepo, 'list' | 'attributesOf' | 'sourcesOf'>;

export interface SubjectSourceDeps {
  devices: SubjectDeviceRepo;
  /** Each integration's last successful sync and limits (`IntegrationService.listForVerification`). */
  integrations: { listForVerification(db: Executor): Promise<readonly VerifyingIntegration[]> };
  clock: Clock;
  /** A user's current risk level, set as `user:riskLevel` on subjects with a user. */
  userRisk?: UserRiskLookup;
  /** The registered vendors' health rules (from the composition root); none given, no `<ns>:verified`. */
  vendors?: readonly VendorVerifier[];
}

const PAGE = 1000;

export function createSubjectSource(deps: SubjectSourceDeps) {
  const { devices, clock } = deps;

  /** Subjects for these devices, in the same order. */
  async function forDevices(db: Executor, list: readonly Device[], fresh?: readonly VerifyingIntegration[]): Promise<PolicySubject[]> {
    if (list.length === 0) return [];
    const ids = list.map((d) => d.id);
    const [attrs, sources, integrations] = await Promise.all([
      devices.attributesOf(db, ids),
      devices.sourcesOf(db, ids),
      fresh ?? deps.integrations.listForVerification(db),
    ]);
    const nowMs = clock.nowMs();
    return list.map((device) => {
      const agents = new Map((sources.get(device.id) ?? []).map((s) => [s.integrationId, s.agent]));
      return withUserRisk(buildSubject({ device, stored: attrs.get(device.id), agents, integrations, vendors: deps.vendors ?? [], nowMs }), deps.userRisk, nowMs);
    });
  }

  return {
    forDevices,

    /** Every device as a dry-run subject. */
    async all(db: Executor): Promise<DiffSubject[]> {
      const integrations = await deps.integrations.listForVerification(db);
      const out: DiffSubject[] = [];
      let after: { createdAt: string; id: string } | null = null;
      for (;;) {
        const page = await devices.list(db, PAGE, after);
        const subjects = await forDevices(db, page, integrations);
        page.forEach((d, i) => out.push({ id: d.id, name: d.name, subject: subjects[i] as PolicySubject }));
        const last = page[page.length - 1];
        if (page.length < PAGE || !last) return out;
        after = { createdAt: last.createdAt, id: last.id };
      }
    },
  };
}

export type SubjectSource = ReturnType<typeof createSubjectSource>;
