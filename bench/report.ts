/** Shared by every benchmark section: timing and the one-line report format. */

export async function time<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const r = await fn();
  return [performance.now() - t0, r];
}

/** One figure: its name, its value (a ratio against the section's baseline where it has one) and the target. */
export function line(name: string, value: string, target: string): void {
  console.log(`${name.padEnd(58)} ${value.padStart(16)}   target ${target}`);
}
