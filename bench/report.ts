/** Shared by every benchmark section: timing and the one-line report format. */

export async function time<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const r = await fn();
  return [performance.now() - t0, r];
}

/** Wall and process CPU time (all of DuckDB's threads run in this process) of one call, in ms. */
export async function timeCpu(fn: () => Promise<unknown>): Promise<[number, number]> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const c = process.cpuUsage(c0);
  return [performance.now() - t0, (c.user + c.system) / 1000];
}

/** One figure: its name, its value (a ratio against the section's baseline where it has one) and the target. */
export function line(name: string, value: string, target: string): void {
  console.log(`${name.padEnd(58)} ${value.padStart(16)}   target ${target}`);
}
