import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { wire } from '@sluice/core/internal';
import { memoryUsage } from './memory-usage.js';

/**
 * The worker process's own figures for its heartbeat: heap, CPU time and the delay of
 * its main thread's event loop (where gRPC calls, shuffle fetches and receiver reports
 * are served; tasks run in threads of their own). The loop delay is sampled every 20 ms
 * and summed up since the previous heartbeat, so a stall between two beats shows in the
 * next one.
 *
 * Lifecycle: `start()` once, `stop()` once (both idempotent).
 * Threading: the worker's main thread.
 */
export class ProcessStats {
  private loop: IntervalHistogram | undefined;

  start(): void {
    if (this.loop) return;
    this.loop = monitorEventLoopDelay({ resolution: 20 });
    this.loop.enable();
  }

  stop(): void {
    this.loop?.disable();
    this.loop = undefined;
  }

  /** Figures now; the loop-delay histogram starts again from empty. */
  sample(): wire.WorkerProcess {
    const mem = memoryUsage();
    const cpu = process.cpuUsage();
    const h = this.loop;
    // The histogram is in nanoseconds and includes the 20 ms sampling period itself.
    const lag = (ns: number): number => (h && h.count > 0 && Number.isFinite(ns) ? Math.max(0, ns / 1e9 - 0.02) : 0);
    const out: wire.WorkerProcess = {
      heap_used_bytes: mem.heapUsed,
      heap_total_bytes: mem.heapTotal,
      external_bytes: mem.external,
      cpu_user_seconds: cpu.user / 1e6,
      cpu_system_seconds: cpu.system / 1e6,
      event_loop_lag_mean_seconds: lag(h?.mean ?? 0),
      event_loop_lag_p99_seconds: lag(h?.percentile(99) ?? 0),
      event_loop_lag_max_seconds: lag(h?.max ?? 0),
    };
    h?.reset();
    return out;
  }
}
