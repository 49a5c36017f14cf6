/** Every `postern` subcommand, registered in the order `--help` lists them. */
import type { Command } from 'commander';
import { registerAccessCommands } from './access.ts';
import { registerAuditCommand } from './audit.ts';
import { registerDeviceActionCommands } from './devices-actions.ts';
import { registerExceptionCommands } from './exceptions.ts';
import { consoleOutput, type Output } from './remote.ts';
import { registerAgentCommand } from './agent.ts';
import { registerDecideCommand } from './decide.ts';
import { registerDemoCommand } from './demo.ts';
import { registerDeviceHistoryCommand } from './devices-history.ts';
import { registerIntegrationEditCommand, registerUnmatchedAgentsCommand } from './integrations-edit.ts';
import { registerInventoryCommands } from './inventory.ts';
import { registerPolicyApplyCommand } from './policy-apply.ts';
import { registerPolicyLocalCommands } from './policy-local.ts';
import { registerPolicyRemoteCommands } from './policy-remote.ts';
import { registerSimulatorCommands } from './simulator.ts';
import { registerRotateMasterKeyCommand } from './rotate-master-key.ts';
import { registerServeCommand } from './serve.ts';
import { registerUserCommands } from './users.ts';
import { registerTailnetCommands } from './tailnets.ts';
import { registerTailscaleSimulatorCommand } from './tailscale-simulator.ts';

export function registerCommands(program: Command, io: Output = consoleOutput): void {
  registerServeCommand(program);
  registerDemoCommand(program);
  registerInventoryCommands(program, io);
  const sub = (name: string) => program.commands.find((c) => c.name() === name)!;
  registerIntegrationEditCommand(sub('integrations'), io);
  registerUnmatchedAgentsCommand(sub('integrations'), io);
  registerDeviceHistoryCommand(sub('devices'), io);
  registerDeviceActionCommands(sub('devices'), io);
  registerExceptionCommands(program, io);
  registerUserCommands(program, io);
  registerTailnetCommands(program, io);
  registerAccessCommands(program, io);
  registerAuditCommand(program, io);
  const policy = program.command('policy').description('Validate, test, compare, apply and restore policies');
  registerPolicyLocalCommands(policy);
  registerPolicyApplyCommand(policy);
  registerPolicyRemoteCommands(policy, io);
  registerDecideCommand(program);
  registerSimulatorCommands(program);
  registerTailscaleSimulatorCommand(program);
  registerRotateMasterKeyCommand(program);
  registerAgentCommand(program);
}
