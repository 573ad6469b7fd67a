import { execFileSync } from 'node:child_process';

/** A Python interpreter that can import `module` (the Debian one is tried too), or null. */
export function pythonWith(module: string): string | null {
  for (const exe of ['python3', '/usr/bin/python3']) {
    try {
      execFileSync(exe, ['-c', `import ${module}`], { stdio: 'ignore' });
      return exe;
    } catch {
      // try the next interpreter
    }
  }
  return null;
}
