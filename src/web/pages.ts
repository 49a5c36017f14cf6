/**
 * What the sign-in routes answer besides redirects: Set-Cookie values and small HTML pages (for a refusal or a
 * failed sign-in) that say what happened and offer the next step. Text is escaped; the pages run no script.
 */

export function cookieHeader(name: string, value: string, options: { path: string; maxAge: number; sameSite: 'Strict' | 'Lax'; secure: boolean }): string {
  return [`${name}=${value}`, `Path=${options.path}`, `Max-Age=${options.maxAge}`, 'HttpOnly', `SameSite=${options.sameSite}`, ...(options.secure ? ['Secure'] : [])].join('; ');
}

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function messagePage(title: string, lines: readonly string[], links: readonly (readonly [string, string])[]): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${escape(title)} · postern</title>
  <link rel="icon" href="/console/favicon.svg" type="image/svg+xml">
  <link rel="stylesheet" href="/console/console.css">
</head>
<body>
  <main id="main">
    <div class="login-wrap">
      <div class="card login" id="sign-in-problem">
        <h1>${escape(title)}</h1>
${lines.map((l) => `        <p>${escape(l)}</p>`).join('\n')}
        <p class="actions">${links.map(([href, label]) => `<a class="button" href="${escape(href)}">${escape(label)}</a>`).join(' ')}</p>
      </div>
    </div>
  </main>
</body>
</html>
`;
}
