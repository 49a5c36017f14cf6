/** The email admins get when a user's risk level reaches high (pure). */
import { wrap, type Message } from './messages.ts';

export interface UserRiskAlert {
  user: string;
  /** The behaviours that made the user high, each with the device it showed on. */
  events: { behavior: string; deviceName: string; deviceId: string; startedAt: string }[];
  windowDays: number;
}

export function userRiskHigh(a: UserRiskAlert): Message {
  const lines = a.events.map((e) => `- ${e.behavior} on ${e.deviceName} (${e.deviceId}) since ${e.startedAt}`);
  return {
    subject: `postern: ${a.user} is at high risk`,
    text: [
      wrap(
        `${a.user} reached risk level high. Policies that require a lower user:riskLevel now deny this user on every device they own, ` +
          `including healthy ones, until the events leave the ${a.windowDays}-day window or an admin resets the user after investigating.`,
      ),
      '',
      'What was seen:',
      ...lines,
      '',
      wrap(`Investigate in the console (Users), or: GET /v1/users/${encodeURIComponent(a.user)}/risk; reset with POST /v1/users/${encodeURIComponent(a.user)}/risk/reset {"reason": "..."}.`),
      '',
    ].join('\n'),
  };
}
