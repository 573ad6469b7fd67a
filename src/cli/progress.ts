import cliProgress from 'cli-progress';

/** A progress bar on stderr, drawn only when stderr is a terminal (never in pipes, logs or tests). */
export interface Progress {
  update(value: number, total: number, label: string): void;
  stop(): void;
}

export function progressBar(unit: 'bytes' | 'batches', stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return { update: () => undefined, stop: () => undefined };
  const value = unit === 'bytes' ? '{mb}/{totalMb} MB' : '{value}/{total} batches';
  const bar = new cliProgress.SingleBar(
    { stream, format: `{bar} {percentage}% | ${value} | {label}`, hideCursor: true, clearOnComplete: true, fps: 5 },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  const payload = (v: number, t: number, label: string): Record<string, string> => ({
    mb: (v / 1e6).toFixed(1),
    totalMb: (t / 1e6).toFixed(1),
    label: label.length > 40 ? `…${label.slice(-39)}` : label,
  });
  return {
    update(v, t, label) {
      if (!started) {
        bar.start(t, v, payload(v, t, label));
        started = true;
      }
      bar.setTotal(t);
      bar.update(v, payload(v, t, label));
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
