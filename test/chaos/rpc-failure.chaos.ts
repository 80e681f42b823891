// Issue 5, RPC failure: a chain's node stops answering for a while (it hangs, or refuses connections, or
// loses answers after acting on the request) and comes back; every relayer instance reaches the chains
// through an RpcProxy, and nothing may be skipped or applied twice.
import { setTimeout as delay } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import {
  byScale,
  CHAOS_SCALE,
  CHAOS_SEED,
  ChaosNet,
  generateTraffic,
  seededRandom,
  storedMessages,
  waitForStoresSettled,
} from "./harness.ts";
import { checkBalancesAndLedger, checkExactlyOnce } from "./invariants.ts";
import type { RpcPauseMode } from "./rpc-proxy.ts";

const OUTAGE_MS = byScale({ short: 6_000, full: 30_000 });

describe(`RPC outages (${CHAOS_SCALE}, seed ${CHAOS_SEED})`, () => {
  let net: ChaosNet | undefined;
  afterAll(async () => {
    await net?.stop();
  });

  it("a spoke, then the hub, stop answering and come back: every message is delivered exactly once", async () => {
    const random = seededRandom(CHAOS_SEED + 2);
    net = await ChaosNet.start({
      routes: { spokeA: "layerzero", spokeB: "hyperlane" },
      traders: 2,
      proxied: true,
    });
    const chaosNet = net;
    const outages: Array<{ chain: string; mode: RpcPauseMode | "drop" }> = [
      { chain: "spokeB", mode: "hang" },
      { chain: "spokeA", mode: "refuse" },
      { chain: "hub", mode: "refuse" },
      { chain: "hub", mode: "drop" },
      ...byScale<Array<{ chain: string; mode: RpcPauseMode | "drop" }>>({
        short: [],
        full: [
          { chain: "spokeA", mode: "hang" },
          { chain: "spokeB", mode: "drop" },
        ],
      }),
    ];
    const started = Date.now();
    const outagesDone = (async () => {
      for (const outage of outages) {
        const proxy = chaosNet.proxies.get(outage.chain);
        if (!proxy) throw new Error(`no proxy for ${outage.chain}`);
        await delay(1_000 + random() * 2_000);
        // Answers lost after the node acted: transactions sent whose hash never comes back.
        if (outage.mode === "drop") proxy.dropResponses(0.3);
        else proxy.pause(outage.mode);
        await delay(OUTAGE_MS);
        proxy.dropResponses(0);
        proxy.resume();
      }
    })();
    const traffic = await generateTraffic(chaosNet, {
      messages: byScale({ short: 40, full: 300 }),
      random,
      paceMs: 400,
    });
    await outagesDone;
    const { sent } = await chaosNet.waitForAllDelivered(byScale({ short: 300_000, full: 900_000 }));
    const stats = Object.fromEntries([...chaosNet.proxies].map(([name, proxy]) => [name, proxy.stats]));
    console.info(
      `RPC outages: ${sent.length} messages (${traffic.deposits} deposits, ${traffic.releases} releases) delivered ` +
        `in ${((Date.now() - started) / 1000).toFixed(1)} s through ${outages.length} outages of ${OUTAGE_MS} ms; ` +
        `proxy stats ${JSON.stringify(stats)}`,
    );
    for (const outage of outages) {
      const stat = chaosNet.proxies.get(outage.chain)?.stats;
      const hit = outage.mode === "hang" ? stat?.held : outage.mode === "refuse" ? stat?.refused : stat?.dropped;
      expect(hit, `${outage.chain} ${outage.mode} saw requests`).toBeGreaterThan(0);
    }

    const once = await checkExactlyOnce(chaosNet);
    expect(once.violations).toEqual([]);
    expect(await checkBalancesAndLedger(chaosNet)).toEqual([]);
    await waitForStoresSettled(chaosNet.instances, 60_000);
    for (const instance of chaosNet.instances) {
      expect(await storedMessages(instance, "failed"), instance.label).toEqual([]);
      expect(instance.alive, `${instance.label} survived the outages`).toBe(true);
    }
  });
});
