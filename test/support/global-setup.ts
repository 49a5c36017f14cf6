/**
 * Starts the shared PostgreSQL server once per test run and hands its URL to test files (`inject('postgresUrl')`).
 * When PostgreSQL is missing, local runs skip the PostgreSQL half with a visible note; under CI=true they fail.
 */
import type { TestProject } from 'vitest/node';
import { startPostgres } from './postgres.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string | null;
    postgresMissing: string | null;
  }
}

export default async function setup(project: TestProject) {
  const server = await startPostgres().catch((err: Error) => ({ missing: `PostgreSQL failed to start: ${err.message}` }));
  if ('missing' in server) {
    project.provide('postgresUrl', null);
    project.provide('postgresMissing', server.missing);
    return;
  }
  project.provide('postgresUrl', server.url);
  project.provide('postgresMissing', null);
  return () => server.stop();
}
