/** The agent's one error type: a stable code (the server's, when the server answered with one) and a message that says what to do. */
export class AgentError extends Error {
  readonly code: string;
  readonly details: unknown[];
  constructor(code: string, message: string, details: unknown[] = []) {
    super(message);
    this.name = 'AgentError';
    this.code = code;
    this.details = details;
  }
}
