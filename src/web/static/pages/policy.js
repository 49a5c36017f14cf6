/** The policy in force, read-only: its version and HuJSON text. Changes go through PUT /v1/policy or the CLI. */
import { api } from '../api.js';
import { emptyState, errorBox, facts, h, time } from '../dom.js';

export async function policyPage(view) {
  document.title = 'Policy · postern';
  view.append(h('h1', {}, 'Policy'));
  let policy;
  try {
    policy = await api('/v1/policy');
  } catch (err) {
    if (err.status !== 404) return void view.append(errorBox(err));
    return void view.append(emptyState('No policy to show yet.', 'This postern has no policy API yet, or no policy is stored; apply one with PUT /v1/policy.'));
  }
  // The API answers the HuJSON text itself, or JSON with the text and its version.
  const text = typeof policy === 'string' ? policy : (policy?.text ?? policy?.policy ?? JSON.stringify(policy, null, 2));
  if (policy && typeof policy === 'object') {
    view.append(
      facts([
        ['Version', policy.version ?? undefined],
        ['Applied', policy.createdAt ? time(policy.createdAt, { relative: true }) : undefined],
        ['By', policy.createdBy ?? undefined],
      ]),
    );
  }
  view.append(h('pre', { class: 'policy' }, typeof text === 'string' ? text : JSON.stringify(text, null, 2)));
}
