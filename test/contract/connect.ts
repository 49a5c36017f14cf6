/** How the contract connects a source and hands it new credentials: the REST API, or the service behind it. */
import type { Harness } from '../support/harness.ts';
import type { SourceUnderTest } from './source-under-test.ts';

const ACTOR = { actor: 'admin:contract' } as const;

/** `POST <collection>?wait=true` with the source's body, or the service call behind it (`connectInProcess`). */
export async function connectSource(source: SourceUnderTest, h: Harness, body: Record<string, unknown>): Promise<{ status: number; json: any; text: string }> {
  if (!source.connectInProcess) return h.request('POST', `${source.collection}?wait=true`, { body });
  const view = await h.postern.services.integrations.create(body as never, ACTOR, { wait: true });
  const json = JSON.parse(JSON.stringify(view));
  return { status: 201, json, text: JSON.stringify(json) };
}

export async function patchSource(source: SourceUnderTest, h: Harness, id: string, body: Record<string, unknown>): Promise<{ status: number; text: string }> {
  if (!source.connectInProcess) return h.request('PATCH', `${source.collection}/${id}`, { body });
  await h.postern.services.integrations.update(id, body as never, ACTOR);
  return { status: 200, text: '' };
}

