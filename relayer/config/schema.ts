import { isAddress, isHex } from "viem";
import { z } from "zod/v4";
import { storeConfigSchema } from "../storage/config.ts";

const hex32 = z
  .string()
  .refine((value) => isHex(value, { strict: true }) && value.length === 66, "must be 0x + 64 hex digits");
const address = z.string().refine((value) => isAddress(value), "must be a 0x-prefixed 20-byte address");
const httpUrl = z
  .string()
  .refine(
    (value) => URL.canParse(value) && ["http:", "https:"].includes(new URL(value).protocol),
    "must be an http(s) URL",
  );

const wsUrl = z
  .string()
  .refine((value) => URL.canParse(value) && ["ws:", "wss:"].includes(new URL(value).protocol), "must be a ws(s) URL");

export const chainConfigSchema = z.strictObject({
  name: z.string().min(1),
  chainId: z.number().int().positive(),
  rpcUrl: httpUrl,
  /**
   * A websocket endpoint of the same node: the watcher reads logs as soon as the node announces a block,
   * and the delivery engine sends its requests over it instead of HTTP.
   */
  wsUrl: wsUrl.optional(),
  /** Blocks a log must be buried under before the relayer acts on it. */
  confirmations: z.number().int().min(0).max(1000).default(1),
  pollIntervalMs: z.number().int().min(50).max(60_000).default(500),
});

export const peerConfigSchema = z.strictObject({
  /** Base URL of the peer operator's API. */
  url: httpUrl,
  /** The peer's verifier signing address. */
  address,
});

/** A relayer instance's configuration: a JSON file, with XMARGIN_* environment variables on top. */
export const relayerConfigSchema = z.strictObject({
  /** Where the embedded database and other state live. */
  dataDir: z.string().min(1).default(".xmargin/relayer"),
  /** Embedded SQLite under dataDir unless a PostgreSQL URL is given. */
  storage: storeConfigSchema.optional(),
  api: z
    .strictObject({
      host: z.string().min(1).default("127.0.0.1"),
      port: z.number().int().min(0).max(65_535).default(8080),
    })
    .default({ host: "127.0.0.1", port: 8080 }),
  /** This operator's verifier key (signs its share of the M-of-N attestations). */
  operator: z.strictObject({ privateKey: hex32 }),
  /** Signatures needed to deliver (M of N). */
  threshold: z.number().int().min(1).max(32).default(2),
  peers: z.array(peerConfigSchema).default([]),
  chains: z.array(chainConfigSchema).min(1, "must list at least one chain"),
  /**
   * The protocol's deployments JSON (every contract per chain, e.g. deployments/devnet.json). Without it the
   * instance serves its API and store only: no watching, signing or delivering.
   */
  deployment: z.string().min(1).optional(),
  delivery: z
    .strictObject({
      /** Deliver messages (pays gas with the operator key); a signing-only operator sets false. */
      enabled: z.boolean().default(true),
      /**
       * How long after discovery this instance first tries to deliver: backup operators wait so that the
       * primary delivers and they only step in when it is down. Signing is never delayed.
       */
      delayMs: z.number().int().min(0).max(3_600_000).default(0),
      /** Messages claimed per round. */
      batchSize: z.number().int().min(1).max(1000).default(50),
      /** How long a claim keeps other instances sharing the store off a message. */
      leaseMs: z.number().int().min(1000).max(3_600_000).default(60_000),
      /** Pause between rounds when there was nothing to do. */
      idleMs: z.number().int().min(10).max(60_000).default(100),
      /** Time allowed for a peer's signature answer. */
      peerTimeoutMs: z.number().int().min(100).max(60_000).default(3_000),
      /** Deliveries in flight per destination chain; above 1 the operator's transactions are pipelined. */
      concurrencyPerChain: z.number().int().min(1).max(64).default(1),
    })
    .default({
      enabled: true,
      delayMs: 0,
      batchSize: 50,
      leaseMs: 60_000,
      idleMs: 100,
      peerTimeoutMs: 3_000,
      concurrencyPerChain: 1,
    }),
  /** The keeper role: liquidations and auto-margin Locks, and on a devnet the price mover. Off by default. */
  keeper: z
    .strictObject({
      enabled: z.boolean().default(false),
      /** The keeper's account: pays gas and repays debt in collateral liquidations. Default: the operator key. */
      privateKey: hex32.optional(),
      /** Pause between keeper ticks (each re-evaluates the accounts whose health can have changed). */
      pollIntervalMs: z.number().int().min(50).max(600_000).default(1_000),
      /** Auto-margin Locks when E^maint / R^maint falls to this ratio; null sends none. */
      autoMarginThreshold: z.number().gt(1).max(100).nullable().default(1.5),
      /**
       * Devnet only: move the mock price feeds along a path file or a seeded random walk (exactly one),
       * so that liquidations really happen.
       */
      prices: z
        .strictObject({
          /** A price path file (see relayer/keeper/README.md). */
          file: z.string().min(1).optional(),
          randomWalk: z.strictObject({ seed: z.number().int(), volatility: z.number().positive().max(0.5) }).optional(),
          /** Between steps of a random walk (a path file sets its own interval). */
          intervalMs: z.number().int().min(100).max(3_600_000).default(5_000),
          /** The account that sets the feeds (any funded account on a devnet); default: the keeper's. */
          privateKey: hex32.optional(),
        })
        .refine((prices) => (prices.file === undefined) !== (prices.randomWalk === undefined), {
          message: "give exactly one of file and randomWalk",
        })
        .optional(),
    })
    .default({ enabled: false, pollIntervalMs: 1_000, autoMarginThreshold: 1.5 }),
  log: z.strictObject({ level: z.enum(["fatal", "error", "warn", "info", "debug", "trace"]).default("info") }).default({
    level: "info",
  }),
});

export type RelayerConfigInput = z.input<typeof relayerConfigSchema>;
export type RelayerConfig = z.output<typeof relayerConfigSchema>;
export type ChainConfig = z.output<typeof chainConfigSchema>;
