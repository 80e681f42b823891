/** What the keeper and the price mover log: pino's Logger and fastify's logger both fit. */
export interface KeeperLogger {
  debug(object: object, message: string): void;
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
  child(bindings: Record<string, unknown>): KeeperLogger;
}

export interface Loop {
  /** Runs `body` now and then `intervalMs` after each run ends; a second call does nothing. */
  start(): void;
  /** Stops scheduling and resolves once the run in progress (if any) has ended. */
  stop(): Promise<void>;
  readonly running: boolean;
}

/**
 * A polling loop that never overlaps itself: the next run is scheduled only when the previous one has
 * settled, so a slow RPC stretches the period instead of piling up runs. A failing run is logged and the
 * loop goes on; `body` returning false ends the loop (a price path that has run out).
 */
export function pollLoop(
  body: () => Promise<boolean>,
  options: { intervalMs: number; logger: KeeperLogger; what: string },
): Loop {
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> | undefined;
  let running = false;

  const run = () => {
    timer = undefined;
    current = body()
      .then(
        (more) => {
          if (!more) running = false;
        },
        (error: unknown) => options.logger.error({ err: error }, `${options.what} failed; retrying next interval`),
      )
      .finally(() => {
        current = undefined;
        if (running) timer = setTimeout(run, options.intervalMs);
      });
  };

  return {
    start() {
      if (running) return;
      running = true;
      run();
    },
    async stop() {
      running = false;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      await current;
    },
    get running() {
      return running;
    },
  };
}
