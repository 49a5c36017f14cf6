/**
 * Runs `run` once, `delayMs` after the first of any number of requests: a fleet enrolling at once asks for one
 * sync, not thousands. A request while the run is under way schedules one more after it (its change may have
 * landed too late for the running one). Timing comes from the injected clock.
 */
import type { Clock, TimerHandle } from './clock.ts';

export function createDebouncer(deps: { clock: Pick<Clock, 'setTimer'>; delayMs: number; run: () => Promise<void>; onError?: (err: unknown) => void }) {
  let timer: TimerHandle | null = null;
  let running = false;
  let again = false;

  const fire = () => {
    timer = null;
    running = true;
    deps
      .run()
      .catch((err) => deps.onError?.(err))
      .finally(() => {
        running = false;
        if (again) {
          again = false;
          request();
        }
      });
  };

  function request(): void {
    if (running) {
      again = true;
      return;
    }
    if (timer === null) timer = deps.clock.setTimer(deps.delayMs, fire);
  }

  return {
    request,
    /** Drops a pending run (at shutdown). */
    cancel(): void {
      timer?.cancel();
      timer = null;
      again = false;
    },
  };
}
