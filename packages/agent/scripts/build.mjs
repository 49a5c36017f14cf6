#!/usr/bin/env node
/**
 * Builds the postern agent:
 *   bundle  dist/postern-agent.cjs: one file, Node's standard library only (what the npm package ships)
 *   sea     dist/postern-agent: a Linux single executable (Node's SEA: the bundle injected into a copy of node)
 *   deb     dist/postern-agent_<version>_<arch>.deb: the executable, a hardened systemd unit, its own user
 *   all     all three
 * `--out DIR` writes somewhere else (tests build into a temporary directory). Needs esbuild and postject (root
 * devDependencies) and, for the .deb, dpkg-deb.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const pkgDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

const args = process.argv.slice(2);
const target = args.find((a) => !a.startsWith('--')) ?? 'bundle';
const outIndex = args.indexOf('--out');
const out = outIndex >= 0 ? resolve(args[outIndex + 1]) : join(pkgDir, 'dist');
mkdirSync(out, { recursive: true });

async function bundle(file, sea) {
  const esbuild = require('esbuild');
  await esbuild.build({
    entryPoints: [join(pkgDir, 'src/bin.ts')],
    outfile: file,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minifySyntax: true,
    legalComments: 'none',
    define: { __POSTERN_AGENT_SEA__: String(sea) },
    banner: { js: sea ? '' : '#!/usr/bin/env node' },
    logLevel: 'warning',
  });
  // The agent must need Node alone: nothing but node: built-ins may remain as a require.
  const text = readFileSync(file, 'utf8');
  const external = [...text.matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1]).filter((m) => !m.startsWith('node:'));
  if (external.length > 0) throw new Error(`the agent bundle requires non-built-in modules: ${external.join(', ')}`);
  chmodSync(file, 0o755);
  return file;
}

/** The single executable: node --experimental-sea-config, then postject the blob into a copy of node. */
async function sea() {
  const work = join(tmpdir(), `postern-agent-sea-${process.pid}`);
  mkdirSync(work, { recursive: true });
  const main = await bundle(join(work, 'main.cjs'), true);
  const blob = join(work, 'sea.blob');
  writeFileSync(join(work, 'sea-config.json'), JSON.stringify({ main, output: blob, disableExperimentalSEAWarning: true, useCodeCache: false }));
  execFileSync(process.execPath, ['--experimental-sea-config', join(work, 'sea-config.json')], { stdio: 'pipe' });
  const exe = join(out, 'postern-agent');
  rmSync(exe, { force: true });
  copyFileSync(process.execPath, exe);
  chmodSync(exe, 0o755);
  const { inject } = require('postject');
  await inject(exe, 'NODE_SEA_BLOB', readFileSync(blob), { sentinelFuse: SEA_FUSE });
  rmSync(work, { recursive: true, force: true });
  return exe;
}

const DEB_ARCH = { x64: 'amd64', arm64: 'arm64' };

function deb(exe) {
  const debArch = DEB_ARCH[arch()];
  if (!debArch) throw new Error(`no Debian architecture for ${arch()}`);
  const root = join(tmpdir(), `postern-agent-deb-${process.pid}`);
  rmSync(root, { recursive: true, force: true });
  const at = (p) => join(root, p);
  for (const d of ['DEBIAN', 'usr/bin', 'lib/systemd/system', 'usr/lib/sysusers.d', 'usr/share/doc/postern-agent']) mkdirSync(at(d), { recursive: true, mode: 0o755 });
  copyFileSync(exe, at('usr/bin/postern-agent'));
  chmodSync(at('usr/bin/postern-agent'), 0o755);
  // The unit comes from the same generator `postern-agent install` uses, with the package's own user.
  const unit = execFileSync(process.execPath, [join(out, 'postern-agent.cjs'), 'install', '--print', '--platform', 'linux', '--unit-only', '--user', 'postern-agent', '--exec', '/usr/bin/postern-agent', '--state', '/var/lib/postern-agent/agent.json'], { encoding: 'utf8' });
  writeFileSync(at('lib/systemd/system/postern-agent.service'), unit, { mode: 0o644 });
  writeFileSync(at('usr/lib/sysusers.d/postern-agent.conf'), 'u postern-agent - "postern agent" /var/lib/postern-agent /usr/sbin/nologin\n', { mode: 0o644 });
  writeFileSync(at('usr/share/doc/postern-agent/copyright'), 'postern agent\nLicense: Apache-2.0\n', { mode: 0o644 });
  const installedKb = Math.ceil(statSync(at('usr/bin/postern-agent')).size / 1024) + 8;
  writeFileSync(
    at('DEBIAN/control'),
    [
      'Package: postern-agent',
      `Version: ${pkg.version}`,
      `Architecture: ${debArch}`,
      'Maintainer: postern <postern@example.com>',
      `Installed-Size: ${installedKb}`,
      'Section: admin',
      'Priority: optional',
      "Description: postern agent: reports this machine's identity to postern",
      ' Reads the machine serial number, name, OS and addresses and reports them to a',
      ' postern device-posture server. A single executable (Node.js built in), run by',
      ' systemd as its own user with its state in /var/lib/postern-agent.',
      '',
    ].join('\n'),
  );
  // Maintainer scripts honour DPKG_ROOT (an install into another root changes nothing on this host).
  const postinst = `#!/bin/sh
set -e
if [ "$1" = configure ]; then
  if ! getent passwd postern-agent >/dev/null 2>&1 && [ -z "$DPKG_ROOT" ]; then
    if command -v systemd-sysusers >/dev/null 2>&1; then systemd-sysusers postern-agent.conf
    else useradd --system --user-group --home-dir /var/lib/postern-agent --shell /usr/sbin/nologin postern-agent; fi
  fi
  if [ -z "$DPKG_ROOT" ]; then
    install -d -m 0750 -o postern-agent -g postern-agent /var/lib/postern-agent
    if [ -d /run/systemd/system ]; then systemctl daemon-reload >/dev/null || true; fi
  else
    install -d -m 0750 "$DPKG_ROOT/var/lib/postern-agent"
  fi
  cat <<'MSG'
postern-agent installed. Enroll this machine (as root, so the firmware serial is read), then start the service:
  sudo postern-agent report --server https://postern.example.com --enroll-key pek_...
  sudo systemctl enable --now postern-agent
MSG
fi
`;
  const prerm = `#!/bin/sh
set -e
if [ -z "$DPKG_ROOT" ] && [ -d /run/systemd/system ] && { [ "$1" = remove ] || [ "$1" = purge ]; }; then
  systemctl disable --now postern-agent.service >/dev/null 2>&1 || true
fi
`;
  const postrm = `#!/bin/sh
set -e
if [ "$1" = purge ]; then rm -rf "$DPKG_ROOT/var/lib/postern-agent"; fi
if [ -z "$DPKG_ROOT" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload >/dev/null 2>&1 || true; fi
`;
  for (const [name, text] of [['postinst', postinst], ['prerm', prerm], ['postrm', postrm]]) writeFileSync(at(`DEBIAN/${name}`), text, { mode: 0o755 });
  const file = join(out, `postern-agent_${pkg.version}_${debArch}.deb`);
  execFileSync('dpkg-deb', ['--root-owner-group', '-Zgzip', '--build', root, file], { stdio: 'pipe' });
  rmSync(root, { recursive: true, force: true });
  return file;
}

const built = {};
if (['bundle', 'sea', 'deb', 'all'].includes(target) === false) throw new Error(`unknown target ${target}: bundle, sea, deb or all`);
built.bundle = await bundle(join(out, 'postern-agent.cjs'), false);
if (target === 'sea' || target === 'deb' || target === 'all') built.sea = await sea();
if (target === 'deb' || target === 'all') built.deb = deb(built.sea);
for (const [k, v] of Object.entries(built)) process.stdout.write(`${k}: ${v} (${statSync(v).size} bytes)\n`);
