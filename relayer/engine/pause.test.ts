import { describe, expect, it } from "vitest";
import { WakeablePause } from "./pause.ts";

const elapsed = async (work: () => Promise<unknown>) => {
  const started = performance.now();
  await work();
  return performance.now() - started;
};

describe("WakeablePause", () => {
  it("runs its length without news, ends at news, and at stop whether or not it is wakeable", async () => {
    const pause = new WakeablePause();
    const stop = new AbortController();
    expect(await elapsed(() => pause.sleep(40, stop.signal))).toBeGreaterThanOrEqual(35);

    setTimeout(() => pause.wake(), 10);
    expect(await elapsed(() => pause.sleep(5_000, stop.signal))).toBeLessThan(1_000);

    pause.arm();
    setTimeout(() => pause.wake(), 10);
    setTimeout(() => stop.abort(), 60);
    expect(await elapsed(() => pause.sleep(5_000, stop.signal, false))).toBeGreaterThanOrEqual(55);
    expect(await elapsed(() => pause.sleep(5_000, stop.signal))).toBeLessThan(50);
  });

  it("remembers news that came between arm and the pause, and forgets it at the next arm", async () => {
    const pause = new WakeablePause();
    const stop = new AbortController();
    pause.arm();
    pause.wake();
    expect(await elapsed(() => pause.sleep(5_000, stop.signal))).toBeLessThan(50);
    pause.arm();
    expect(await elapsed(() => pause.sleep(40, stop.signal))).toBeGreaterThanOrEqual(35);
  });
});
