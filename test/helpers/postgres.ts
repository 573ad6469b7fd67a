import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A PostgreSQL server started for a test run, on 127.0.0.1 and a free port. */
export interface LocalPostgres {
  /** `postgres://floe@127.0.0.1:<port>/postgres` (trust authentication, loopback only). */
  url: string;
  stop: () => void;
}

/** The server binaries: `$FLOE_PG_BIN`, else the newest Debian `postgresql-NN` install. */
function binDir(): string | null {
  const env = process.env['FLOE_PG_BIN'];
  if (env) return existsSync(join(env, 'pg_ctl')) ? env : null;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')) && existsSync(join(root, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : null;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts a throw-away server, or returns the reason it cannot (printed by the caller as its skip).
 * initdb refuses to run as root, so as root the data folder belongs to the `postgres` user and
 * the binaries run through `runuser`.
 */
export async function startPostgres(): Promise<LocalPostgres | string> {
  const bin = binDir();
  if (!bin) return 'PostgreSQL server binaries not found (Debian package `postgresql`, or set FLOE_PG_BIN)';
  const asRoot = process.getuid?.() === 0;
  let uid: number | undefined;
  let gid: number | undefined;
  if (asRoot) {
    try {
      uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
      gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    } catch {
      return 'running as root and there is no `postgres` user to run the server as';
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'floe-pg-'));
  if (uid !== undefined && gid !== undefined) chownSync(dir, uid, gid);
  const data = join(dir, 'data');
  const exec = (tool: string, args: string[]): void => {
    const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]] : [join(bin, tool), args];
    execFileSync(cmd as string, argv as string[], { stdio: 'pipe', timeout: 60_000 });
  };
  const port = await freePort();
  try {
    exec('initdb', ['-D', data, '-A', 'trust', '-U', 'floe', '--no-sync', '-E', 'UTF8']);
    exec('pg_ctl', ['start', '-w', '-D', data, '-l', join(dir, 'server.log'), '-o', `-h 127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c max_connections=100`]);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    const stderr = (e as { stderr?: Buffer }).stderr?.toString().trim();
    return `could not start a local PostgreSQL server: ${stderr || String(e)}`;
  }
  return {
    url: `postgres://floe@127.0.0.1:${port}/postgres`,
    stop: () => {
      try {
        exec('pg_ctl', ['stop', '-D', data, '-m', 'immediate']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
