/**
 * Policy decisions per second, in process: postern's evaluator against Cedar (cedar-wasm, preparsed policy set)
 * on the same generated policy (50 grants, 20 postures) and the same 10k devices. Every Cedar decision is
 * checked against postern's answer for the same device and destination; any disagreement fails the run.
 *
 *   node --import tsx bench/policy-decisions.ts [--seconds N]
 */
import { cpus } from 'node:os';
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import { compilePolicy, evaluate, type CompiledPolicy } from '../src/policy/core.ts';
import { generateWorkload, type Workload } from './lib/policy-workload.ts';

const secondsArg = process.argv.indexOf('--seconds');
const SECONDS = secondsArg > 0 ? Number(process.argv[secondsArg + 1]) : 3;

/** Runs `step(i)` for at least `seconds`, in batches, and returns decisions per second and the count. */
function measure(seconds: number, step: (i: number) => void): { perSecond: number; count: number } {
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  let count = 0;
  while (performance.now() < deadline) {
    for (let k = 0; k < 1000; k++) step(count++);
  }
  return { perSecond: count / ((performance.now() - started) / 1000), count };
}

function posternSide(w: Workload): CompiledPolicy {
  const compiled = compilePolicy(w.posternPolicy);
  if (!compiled.ok) throw new Error(`generated policy does not compile: ${JSON.stringify(compiled.errors.slice(0, 3))}`);
  return compiled.policy;
}

function cedarSide(w: Workload): void {
  const parsed = cedar.preparsePolicySet('postern-bench', { staticPolicies: w.cedarPolicy });
  if (parsed.type !== 'success') throw new Error(`Cedar policy does not parse: ${JSON.stringify(parsed.errors.slice(0, 3))}`);
}

function cedarDecide(w: Workload, sample: [number, number]): { allow: boolean; errors: number } {
  const device = w.devices[sample[0]]!;
  const answer = cedar.statefulIsAuthorized({
    principal: { type: 'Device', id: device.id },
    action: { type: 'Action', id: 'connect' },
    resource: { type: 'Dest', id: w.destinations[sample[1]]! },
    context: {},
    preparsedPolicySetId: 'postern-bench',
    entities: [device.entity as cedar.EntityJson],
  });
  if (answer.type !== 'success') throw new Error(`Cedar failed: ${JSON.stringify(answer.errors.slice(0, 2))}`);
  return { allow: answer.response.decision === 'allow', errors: answer.response.diagnostics.errors.length };
}

function main(): void {
  const w = generateWorkload();
  const policy = posternSide(w);
  cedarSide(w);
  const n = w.samples.length;

  // Reference answers, and the workload's mix, from the explained path.
  const expected = new Uint8Array(n);
  const mix = { ALLOWED: 0, NO_MATCHING_GRANT: 0, denied_by_posture: 0 };
  for (let i = 0; i < n; i++) {
    const [d, t] = w.samples[i]!;
    const full = evaluate(policy, w.devices[d]!.subject, w.destinations[t]!);
    const fast = evaluate(policy, w.devices[d]!.subject, w.destinations[t]!, { explain: false });
    if (full.allow !== fast.allow) throw new Error(`explain and fast paths disagree on sample ${i}`);
    expected[i] = full.allow ? 1 : 0;
    const code = full.reasons[0]?.code;
    if (code === 'ALLOWED') mix.ALLOWED++;
    else if (code === 'NO_MATCHING_GRANT') mix.NO_MATCHING_GRANT++;
    else mix.denied_by_posture++;
  }

  let sink = 0;
  // Warm up both paths so the timed runs measure optimised code.
  for (let i = 0; i < 200_000; i++) {
    const [d, t] = w.samples[i % n]!;
    if (evaluate(policy, w.devices[d]!.subject, w.destinations[t]!, { explain: i % 2 === 0 }).allow) sink++;
  }
  const fast = measure(SECONDS, (i) => {
    const [d, t] = w.samples[i % n]!;
    if (evaluate(policy, w.devices[d]!.subject, w.destinations[t]!, { explain: false }).allow) sink++;
  });
  const explained = measure(SECONDS, (i) => {
    const [d, t] = w.samples[i % n]!;
    if (evaluate(policy, w.devices[d]!.subject, w.destinations[t]!).allow) sink++;
  });

  let mismatches = 0;
  let cedarErrors = 0;
  const examples: string[] = [];
  const ced = measure(SECONDS, (i) => {
    const s = w.samples[i % n]!;
    const got = cedarDecide(w, s);
    cedarErrors += got.errors;
    if (got.allow !== (expected[i % n] === 1)) {
      mismatches++;
      if (examples.length < 5) examples.push(`${w.devices[s[0]]!.id} -> ${w.destinations[s[1]]}: postern ${expected[i % n] ? 'allow' : 'deny'}, cedar ${got.allow ? 'allow' : 'deny'}`);
    }
  });
  // Check every sample at least once, even if the timed loop did not reach them all.
  for (let i = ced.count; i < n; i++) {
    const got = cedarDecide(w, w.samples[i]!);
    if (got.allow !== (expected[i] === 1)) mismatches++;
  }
  const compared = Math.max(ced.count, n);

  const pct = (x: number) => `${Math.round((x / n) * 100)}%`;
  const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
  const cpu = cpus();
  console.log('Policy decisions');
  console.log(`  machine: ${cpu.length} x ${cpu[0]?.model ?? 'unknown cpu'}, node ${process.version}, cedar ${cedar.getCedarVersion()}`);
  console.log(`  workload: ${policy.grants.length} grants, ${policy.postures.length} postures, ${w.devices.length} devices, ${n} sampled decisions`);
  console.log(`  mix: allowed ${pct(mix.ALLOWED)}, denied by posture ${pct(mix.denied_by_posture)}, no matching grant ${pct(mix.NO_MATCHING_GRANT)}`);
  console.log(`  postern evaluate (explain: false): ${fmt(fast.perSecond)} decisions/s`);
  console.log(`  postern evaluate (explain: true):  ${fmt(explained.perSecond)} decisions/s`);
  console.log(`  cedar statefulIsAuthorized:        ${fmt(ced.perSecond)} decisions/s`);
  console.log(`  ratio postern fast / cedar: ${(fast.perSecond / ced.perSecond).toFixed(1)}x (explained / cedar: ${(explained.perSecond / ced.perSecond).toFixed(1)}x)`);
  console.log(`  agreement: ${compared} cedar decisions compared, ${mismatches} mismatches, ${cedarErrors} cedar evaluation errors`);
  for (const e of examples) console.log(`    mismatch: ${e}`);
  if (sink < 0) console.log(sink);
  if (mismatches > 0 || cedarErrors > 0) process.exitCode = 1;
}

main();
