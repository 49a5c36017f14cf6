/**
 * The console plugin: `GET /` answers the single page, `GET /console/<file>` its scripts and styles (from the
 * fixed table in static-files.ts), single sign-on (`/auth/*`) and the session routes. The console reads and writes
 * everything else through the public `/v1` API with its session cookie, so it shows exactly what the API shows.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { PosternError } from '../lib/errors.ts';
import { registerLoginRoute, type LoginDeps } from './login.ts';
import { registerSignInRoutes, type SignInDeps } from './sign-in.ts';
import { CONSOLE_HEADERS, loadStaticFiles, type StaticFile } from './static-files.ts';

export type ConsoleDeps = LoginDeps & SignInDeps;

export function registerConsole(app: FastifyInstance, deps: ConsoleDeps): void {
  const files = loadStaticFiles();
  const page = files.get('index.html');
  if (!page) throw new Error('the console page src/web/static/index.html is missing');

  const send = (reply: FastifyReply, file: StaticFile) => reply.headers(CONSOLE_HEADERS).type(file.contentType).send(file.body);
  const hide = { schema: { hide: true } };

  app.get('/', hide, async (_request, reply) => send(reply, page));
  app.get('/console', hide, async (_request, reply) => reply.redirect('/'));
  app.get<{ Params: { '*': string } }>('/console/*', hide, async (request, reply) => {
    const name = request.params['*'];
    if (name === '') return reply.redirect('/');
    const file = files.get(name);
    // A 404 like any unknown URL, without echoing the path: the table is the only thing ever read.
    if (!file) throw new PosternError('NOT_FOUND', 'No such console file.');
    return send(reply, file);
  });

  registerLoginRoute(app, deps);
  registerSignInRoutes(app, deps);
}
