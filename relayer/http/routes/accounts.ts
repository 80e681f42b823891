import type { FastifyPluginAsync } from "fastify";
import { getAddress, isAddress } from "viem";
import { z } from "zod/v4";
import { getAccount } from "../../../sdk/actions/getAccount.ts";
import { ContractRevertError } from "../../../sdk/errors.ts";
import { BadGatewayError, errorBodySchema, ServiceUnavailableError, toJsonSafe } from "../errors.ts";

const uint = z.string().regex(/^\d+$/).describe("unsigned integer as a decimal string");
const int = z
  .string()
  .regex(/^-?\d+$/)
  .describe("signed integer as a decimal string");
const wad = (what: string) => int.describe(`${what}: 18-decimal fixed point (WAD) as a decimal string`);
const tokenUnits = (what: string) => uint.describe(`${what}: token units as a decimal string`);
const tiered = (what: string) => z.object({ init: wad(`${what}, initial tier`), maint: wad(`${what}, maintenance`) });

const liquidationPriceSchema = z.object({
  priceId: z.string(),
  currentPrice: wad("oracle price now"),
  price: wad("price at which the account becomes liquidatable, the others fixed").nullable(),
  direction: z.enum(["down", "up"]).nullable().describe("which way the price must move; null when health ignores it"),
  liquidatableNow: z.boolean(),
});

export const accountViewSchema = z.object({
  account: z.string(),
  blockNumber: uint.describe("the hub block every hub figure was read at"),
  timestamp: uint,
  chains: z.array(
    z.object({
      chainId: z.number(),
      name: z.string(),
      vault: z.string(),
      lastCommandNonce: uint.describe("the last hub command the vault executed for the account"),
      balances: z.array(
        z.object({
          symbol: z.string(),
          token: z.string(),
          decimals: z.number(),
          total: tokenUnits("deposited"),
          locked: tokenUnits("locked as margin"),
          free: tokenUnits("withdrawable"),
          seq: z.number().describe("sequence number of the vault's last report of it"),
          claimable: tokenUnits("owed to the account from failed command payments"),
        }),
      ),
    }),
  ),
  ledger: z.array(
    z.object({
      chainId: z.number(),
      chainName: z.string(),
      token: z.string(),
      symbol: z.string().optional(),
      decimals: z.number(),
      assetId: z.number(),
      haircut: wad("the chain's haircut"),
      reportedLocked: tokenUnits("locked as last reported by the vault"),
      pendingDecrease: tokenUnits("commanded away (releases, seizures), not yet acknowledged"),
      counted: tokenUnits("what the hub counts"),
      seq: z.number(),
      acknowledgedNonce: uint,
      reportedAt: z.number().describe("unix time of the last applied report"),
      price: wad("oracle price"),
      value: wad("counted amount at the oracle price, USD"),
      liquidationPrice: liquidationPriceSchema,
    }),
  ),
  settleBalance: wad("settle balance on the hub, USD; negative is debt"),
  positions: z.array(
    z.object({
      marketId: uint,
      market: z.string().optional(),
      size: wad("signed base size"),
      entryPrice: wad("entry price"),
      markPrice: wad("mark price"),
      notional: wad("|size| x mark"),
      unrealizedPnl: wad("size x (mark - entry)"),
      fundingOwed: wad("funding owed; negative is owed to the account"),
      pnl: wad("unrealized PnL minus funding owed"),
      liquidationPrice: liquidationPriceSchema,
    }),
  ),
  health: z.object({
    collateralValue: tiered("weighted collateral value"),
    pnl: tiered("weighted PnL"),
    debt: wad("debt"),
    equity: tiered("equity"),
    requirement: tiered("margin requirement"),
    health: tiered("health").extend({ liquidationEnd: wad("health a liquidation restores") }),
    healthRatioMaint: wad("maintenance equity over requirement").nullable(),
    unweightedEquity: wad("equity before weights; below zero the account is bankrupt"),
    notional: wad("total notional"),
    liquidatable: z.boolean(),
  }),
  autoMargin: z.boolean(),
});

const accountParams = z.strictObject({
  address: z
    .string()
    .refine((value) => isAddress(value), "must be a 0x-prefixed 20-byte address (checksummed or all one case)"),
});

/** The protocol's view of one account, read from every chain of the served deployment. */
export const accountRoutes: FastifyPluginAsync = async (app) => {
  app.get(
    "/v1/accounts/:address",
    {
      schema: {
        summary: "An account on every chain: vault balances, hub ledger, positions, health and liquidation prices",
        description:
          "Read live through the SDK's getAccount. Integers are decimal strings (JSON has no 256-bit numbers). " +
          "An address the protocol has never seen is a 200 with zero balances and empty ledger and positions. " +
          "503 when the instance serves no deployment; 502 when a chain's RPC fails.",
        tags: ["accounts"],
        params: accountParams,
        response: {
          200: accountViewSchema,
          400: errorBodySchema,
          502: errorBodySchema,
          503: errorBodySchema,
        },
      },
    },
    async (request) => {
      const hub = app.hub;
      if (hub === null) throw new ServiceUnavailableError("this instance serves no protocol deployment");
      const { address } = request.params as { address: string };
      const { deployment, readClient } = hub;
      const client = readClient(deployment.hub.chainId);
      if (client === undefined) throw new ServiceUnavailableError("no RPC client for the hub");
      try {
        const { state: _rawState, ...view } = await getAccount(client, {
          deployment,
          chainClients: readClient,
          account: getAddress(address),
        });
        return toJsonSafe(view) satisfies z.input<typeof accountViewSchema>;
      } catch (error) {
        // A read the chain refused is the chain's problem (e.g. a stale price), not the caller's.
        if (error instanceof ContractRevertError) {
          throw new BadGatewayError(
            `the hub reverted a read of the account with ${error.errorName ?? "an unknown error"}`,
            { cause: error },
          );
        }
        throw error;
      }
    },
  );
};
