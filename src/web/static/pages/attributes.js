/**
 * The attribute reference: every EDR vendor's attribute table (key, type, the vendor's field it comes from, what it
 * means) and the reasons its `<namespace>:verified` can be false, generated from the catalogue (`GET /v1/vendors`),
 * the same table the sync writes from and the policy compiler checks types against.
 */
import { code, h, scrollBox } from '../dom.js';
import { loadVendors } from '../vendors.js';

export async function attributesPage(view) {
  document.title = 'Attributes · postern';
  const vendors = await loadVendors();
  view.append(
    h('h1', {}, 'Attributes'),
    h('p', { class: 'hint' }, 'What each EDR vendor writes on the devices it matches, for policy conditions like ', code(vendors.flatMap((v) => v.attributes.filter((a) => a.type === 'number' || a.type === 'boolean').slice(0, 1).map((a) => `${a.key} ${a.type === 'number' ? '>= 70' : '== true'}`)).join(', ') || 'ns:key == value'), '. Versions compare as versions, times as times.'),
  );
  for (const vendor of vendors) view.append(vendorSection(vendor));
}

function vendorSection(vendor) {
  const rows = vendor.attributes.map((a) =>
    h(
      'tr',
      { 'data-key': a.key },
      h('td', { 'data-label': 'Attribute' }, h('code', {}, a.key)),
      h('td', { 'data-label': 'Type' }, a.type),
      h('td', { 'data-label': 'Source field' }, a.synced ? h('code', {}, a.source) : 'judged at each decision'),
      h('td', { 'data-label': 'Meaning' }, a.description),
    ),
  );
  const reasons = Object.entries(vendor.healthReasons);
  return h(
    'section',
    { class: 'card attribute-reference', id: `attributes-${vendor.namespace}`, 'data-vendor': vendor.namespace },
    h('h2', {}, `${vendor.displayName} (${vendor.namespace}:*)`),
    scrollBox(
      `${vendor.displayName} attributes`,
      h(
        'table',
        { class: 'attributes stack' },
        h('thead', {}, h('tr', {}, ['Attribute', 'Type', 'Source field', 'Meaning'].map((l) => h('th', { scope: 'col' }, l)))),
        h('tbody', {}, rows),
      ),
    ),
    reasons.length
      ? h(
          'details',
          { class: 'health-reasons' },
          h('summary', {}, `Why ${vendor.namespace}:verified can be false (${reasons.length} reasons)`),
          h('ul', { class: 'reasons' }, reasons.map(([c, message]) => h('li', { 'data-code': c }, code(c), ' ', message))),
        )
      : null,
  );
}
