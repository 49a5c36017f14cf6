/** Every `postern` subcommand, registered in the order `--help` lists them. */
import type { Command } from 'commander';
import { registerAgentCommand } from './agent.ts';
import { registerDecideCommand } from './decide.ts';
import { registerDemoCommand } from './demo.ts';
import { registerDeviceHistoryCommand } from './devices-history.ts';
import { registerIntegrationEditCommand } from './integrations-edit.ts';
import { registerInventoryCommands } from './inventory.ts';
import { registerPolicyApplyCommand } from './policy-apply.ts';
import { registerPolicyLocalCommands } from './policy-local.ts';
import { registerPolicyRemoteCommands } from './policy-remote.ts';
import { registerS1SimulatorCommand } from './s1-simulator.ts';
import { registerRotateMasterKeyCommand } from './rotate-master-key.ts';
import { registerServeCommand } from './serve.ts';
import { registerTailnetCommands } from './tailnets.ts';
import { registerTailscaleSimulatorCommand } from './tailscale-simulator.ts';

export function registerCommands(program: Command): void {
  registerServeCommand(program);
  registerDemoCommand(program);
  registerInventoryCommands(program);
  const sub = (name: string) => program.commands.find((c) => c.name() === name)!;
  registerIntegrationEditCommand(sub('integrations'));
  registerDeviceHistoryCommand(sub('devices'));
  registerTailnetCommands(program);
  const policy = program.command('policy').description('Validate, test, compare, apply and restore policies');
  registerPolicyLocalCommands(policy);
  registerPolicyApplyCommand(policy);
  registerPolicyRemoteCommands(policy);
  registerDecideCommand(program);
  registerS1SimulatorCommand(program);
  registerTailscaleSimulatorCommand(program);
  registerRotateMasterKeyCommand(program);
  registerAgentCommand(program);
}
