import { describe, expect, it } from 'vitest';
import { FALCON_ATTRIBUTES, FALCON_ATTRIBUTE_TYPES, FALCON_SYNCED_KEYS } from './attributes.ts';
import { mapFalconRecord } from './mapping.ts';
import { normalizeFalconTimestamp, parseAssessment, parseHost } from './schema.ts';
import type { FalconAssessment, FalconHost, FalconRecord } from './types.ts';

const AID = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';

/** A host as Falcon sends it (captured shapes, reference §3b). */
const rawHost = (over: Record<string, unknown> = {}) => ({
  device_id: AID,
  cid: 'f'.repeat(32),
  hostname: 'win-000001',
  serial_number: 'PF3ABCDE',
  mac_address: '42-01-0a-80-00-15',
  platform_name: 'Windows',
  os_version: 'Windows Server 2019',
  agent_version: '6.26.14003.0',
  last_seen: '2021-08-23T04:59:48Z',
  status: 'normal',
  reduced_functionality_mode: 'no',
  product_type_desc: 'Server',
  ...over,
});

const rawAssessment = (over: Record<string, unknown> = {}) => ({
  aid: AID,
  cid: 'f'.repeat(32),
  event_platform: 'Win',
  product_type_desc: 'Server',
  modified_time: '2021-08-23T05:00:00Z',
  sensor_file_status: 'confirmed',
  system_serial_number: 'PF3ABCDE',
  assessment: { overall: 81, os: 72, sensor_config: 90, version: '2.1.0' },
  assessment_items: { os_signals: [], sensor_signals: [] },
  ...over,
});

function host(over: Record<string, unknown> = {}): FalconHost {
  const parsed = parseHost(rawHost(over));
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.value;
}
function assessment(over: Record<string, unknown> = {}): FalconAssessment {
  const parsed = parseAssessment(rawAssessment(over));
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.value;
}
const record = (h: FalconHost, a: FalconAssessment | null): FalconRecord => ({ host: h, assessment: a });

describe('the falcon: attribute table', () => {
  it('has one row per attribute with a type, a source field and a description', () => {
    expect(FALCON_ATTRIBUTES.map((a) => a.key)).toEqual([
      'falcon:ztaScore',
      'falcon:ztaScoreOS',
      'falcon:ztaScoreSensorConfig',
      'falcon:sensorVersion',
      'falcon:lastSeenAt',
      'falcon:containmentStatus',
      'falcon:reducedFunctionalityMode',
      'falcon:verified',
    ]);
    for (const a of FALCON_ATTRIBUTES) expect(a.description.length).toBeGreaterThan(20);
    expect(FALCON_ATTRIBUTE_TYPES).toMatchObject({ 'falcon:ztaScore': 'number', 'falcon:sensorVersion': 'version', 'falcon:lastSeenAt': 'timestamp', 'falcon:verified': 'boolean' });
  });

  it('never lets a sync write the derived falcon:verified', () => {
    expect(FALCON_SYNCED_KEYS).not.toContain('falcon:verified');
    expect(FALCON_SYNCED_KEYS).toHaveLength(7);
  });
});

describe('a Falcon record maps to typed attributes and identifiers', () => {
  it('a full record gives every synced attribute, typed as the table says', () => {
    const mapped = mapFalconRecord(record(host(), assessment()));
    expect(mapped).toEqual({
      ok: true,
      record: {
        identifiers: {
          recordId: AID,
          serialNumbers: ['PF3ABCDE'],
          macAddresses: ['42-01-0a-80-00-15'],
          vendorId: AID,
          name: 'win-000001',
          lastSeenAt: '2021-08-23T04:59:48.000Z',
          updatedAt: '2021-08-23T05:00:00.000Z',
        },
        attributes: {
          'falcon:ztaScore': 81,
          'falcon:ztaScoreOS': 72,
          'falcon:ztaScoreSensorConfig': 90,
          'falcon:sensorVersion': '6.26.14003.0',
          'falcon:lastSeenAt': '2021-08-23T04:59:48.000Z',
          'falcon:containmentStatus': 'normal',
          'falcon:reducedFunctionalityMode': false,
        },
        facts: { lastSeenAt: '2021-08-23T04:59:48.000Z', containmentStatus: 'normal', reducedFunctionalityMode: false, hidden: false, ztaScore: 81 },
      },
    });
    if (!mapped.ok) return;
    for (const [key, value] of Object.entries(mapped.record.attributes)) {
      const type = FALCON_ATTRIBUTE_TYPES[key];
      expect(typeof value).toBe(type === 'number' ? 'number' : type === 'boolean' ? 'boolean' : 'string');
    }
  });

  it.each([
    ['no assessment: no scores (fail closed), the rest stays', record(host(), null), { absent: ['falcon:ztaScore', 'falcon:ztaScoreOS', 'falcon:ztaScoreSensorConfig'], present: ['falcon:sensorVersion'] }],
    ['an empty assessment (no result yet): no scores', record(host(), assessment({ assessment: {} })), { absent: ['falcon:ztaScore'], present: ['falcon:containmentStatus'] }],
    ['RFM yes is true', record(host({ reduced_functionality_mode: 'yes' }), null), { equals: { 'falcon:reducedFunctionalityMode': true } }],
    ['RFM of an unknown word gives no attribute', record(host({ reduced_functionality_mode: 'maybe' }), null), { absent: ['falcon:reducedFunctionalityMode'] }],
    ['contained', record(host({ status: 'Contained' }), null), { equals: { 'falcon:containmentStatus': 'contained' } }],
    ['no last_seen: no falcon:lastSeenAt', record(host({ last_seen: undefined }), null), { absent: ['falcon:lastSeenAt'] }],
    ['a score of 0 is a score', record(host(), assessment({ assessment: { overall: 0, os: 0, sensor_config: 0 } })), { equals: { 'falcon:ztaScore': 0 } }],
  ] as const)('%s', (_name, rec, expectation) => {
    const mapped = mapFalconRecord(rec);
    if (!mapped.ok) throw new Error(mapped.reason);
    const attrs = mapped.record.attributes;
    for (const k of ('absent' in expectation ? expectation.absent : [])) expect(attrs).not.toHaveProperty([k]);
    for (const k of ('present' in expectation ? expectation.present : [])) expect(attrs).toHaveProperty([k]);
    for (const [k, v] of Object.entries('equals' in expectation ? expectation.equals : {})) expect(attrs[k]).toBe(v);
  });

  it.each([
    ['the host serial', host(), null, ['PF3ABCDE']],
    ['no host serial: the assessment\'s system_serial_number', host({ serial_number: '' }), assessment({ system_serial_number: 'ZTA123' }), ['ZTA123']],
    ['both, different: both (the identity rules judge them)', host(), assessment({ system_serial_number: 'OTHER1' }), ['PF3ABCDE', 'OTHER1']],
    ['neither', host({ serial_number: null }), null, []],
  ] as const)('serials: %s', (_name, h, a, serials) => {
    const mapped = mapFalconRecord(record(h, a));
    expect(mapped.ok && mapped.record.identifiers.serialNumbers).toEqual(serials);
  });

  it.each([
    ['42-01-0a-80-00-15', ['42-01-0a-80-00-15']],
    ['42:01:0A:80:00:15', ['42:01:0A:80:00:15']],
    ['not-a-mac', []],
    [null, []],
  ] as const)('MAC %s', (mac, macs) => {
    const mapped = mapFalconRecord(record(host({ mac_address: mac }), null));
    expect(mapped.ok && mapped.record.identifiers.macAddresses).toEqual(macs);
  });

  it('a record whose assessment belongs to another host is skipped with a reason', () => {
    const mapped = mapFalconRecord(record(host(), assessment({ aid: 'b'.repeat(32) })));
    expect(mapped).toEqual({ ok: false, reason: expect.stringContaining('belongs to another host') });
  });
});

describe('bad records are skipped with a reason naming the field', () => {
  it.each([
    ['not an object', 'x', 'not an object'],
    ['no device_id', rawHost({ device_id: undefined }), 'device_id'],
    ['a device_id that is not 32 hex', rawHost({ device_id: 'abc' }), 'device_id'],
    ['last_seen not a timestamp', rawHost({ last_seen: 'yesterday' }), 'last_seen: not a timestamp'],
    ['agent_version a number', rawHost({ agent_version: 7 }), 'agent_version: expected a string'],
  ])('host: %s', (_name, raw, reason) => {
    const parsed = parseHost(raw);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toContain(reason);
  });

  it.each([
    ['a score above 100', rawAssessment({ assessment: { overall: 101 } }), 'overall'],
    ['a score that is text', rawAssessment({ assessment: { os: '80' } }), 'os'],
    ['no aid', rawAssessment({ aid: undefined }), 'aid'],
    ['assessment a list', rawAssessment({ assessment: [] }), 'assessment: expected an object'],
  ])('assessment: %s', (_name, raw, reason) => {
    const parsed = parseAssessment(raw);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toContain(reason);
  });

  it('empty strings read as absent, and upper-case ids are accepted lower-cased', () => {
    const parsed = parseHost(rawHost({ device_id: AID.toUpperCase(), hostname: '  ', serial_number: '' }));
    expect(parsed.ok && parsed.value).toMatchObject({ deviceId: AID, hostname: null, serialNumber: null });
  });
});

describe('Falcon timestamps', () => {
  it.each([
    ['2021-08-23T04:59:48Z', '2021-08-23T04:59:48.000Z'],
    ['2024-02-29T23:59:59Z', '2024-02-29T23:59:59.000Z'],
    ['2021-08-23T04:59:48.123456Z', '2021-08-23T04:59:48.123Z'],
    ['2021-08-23T06:59:48+02:00', '2021-08-23T04:59:48.000Z'],
    ['2023-02-29T00:00:00Z', null],
    ['2021-13-01T00:00:00Z', null],
    ['2021-08-23T24:00:00Z', null],
    ['2021-08-23 04:59:48Z', null],
    ['2021-08-23', null],
    ['yesterday', null],
  ])('%s → %s', (input, expected) => {
    expect(normalizeFalconTimestamp(input)).toBe(expected);
  });
});
