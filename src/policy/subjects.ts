/**
 * Loads policy subjects from the store: devices with their live attributes, each attribute marked stale when its
 * integration's data is past the staleness limit. Used per decision (one device, or a user's devices) and by dry
 * runs (every device, a page at a time).
 */
import type { Device, DeviceRepo } from '../devices/index.ts';
import type { Clock } from '../lib/clock.ts';
import type { Executor } from '../store/index.ts';
import type { DiffSubject } from './diff.ts';
import { buildSubject, withUserRisk, type SourceFreshness, type UserRiskLookup } from './subject.ts';
import type { PolicySubject } from './types.ts';

export type SubjectDeviceRepo = Pick<DeviceRepo, 'get' | 'list' | 'findIdsByAddress' | 'findIdsByUser' | 'attributesOf'>;

export interface SubjectSourceDeps {
  devices: SubjectDeviceRepo;
  /** Each integration's last successful sync and staleness limit (`IntegrationService.listForVerification`). */
  integrations: { listForVerification(db: Executor): Promise<readonly SourceFreshness[]> };
  clock: Clock;
  /** A user's current risk level, set as `user:riskLevel` on subjects with a user. */
  userRisk?: UserRiskLookup;
}

const PAGE = 1000;

export function createSubjectSource(deps: SubjectSourceDeps) {
  const { devices, clock } = deps;

  async function freshness(db: Executor): Promise<Map<string, SourceFreshness>> {
    return new Map((await deps.integrations.listForVerification(db)).map((i) => [i.id, i]));
  }

  /** Subjects for these devices, in the same order. */
  async function forDevices(db: Executor, list: readonly Device[], fresh?: Map<string, SourceFreshness>): Promise<PolicySubject[]> {
    if (list.length === 0) return [];
    const [attrs, integrations] = await Promise.all([devices.attributesOf(db, list.map((d) => d.id)), fresh ?? freshness(db)]);
    const now = clock.nowMs();
    return list.map((d) => withUserRisk(buildSubject(d, attrs.get(d.id), integrations, now), deps.userRisk, now));
  }

  return {
    freshness,
    forDevices,

    /** Every device as a dry-run subject. */
    async all(db: Executor): Promise<DiffSubject[]> {
      const integrations = await freshness(db);
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
