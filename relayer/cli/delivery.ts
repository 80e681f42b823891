import type { Hash } from "viem";
import type { Delivery, DeliveryProgress, WaitForDeliveryReturnType } from "../../sdk/actions/waitForDelivery.ts";
import type { Message } from "../../sdk/codec/index.ts";
import { type Deployment, getDeploymentChain, tokenSymbol } from "../../sdk/deployments.ts";
import { parseNumberOption } from "./args.ts";
import { formatAmount } from "./format.ts";
import type { Session } from "./wallet.ts";

export const DEFAULT_TIMEOUT_SECONDS = 120;
/** Seconds between "still waiting" lines. */
const WAITING_LINE_EVERY_MS = 5_000;

export const waitOptions = {
  "no-wait": { type: "boolean" },
  timeout: { type: "string" },
} as const;

export const WAIT_HELP = `  --no-wait         return once the transaction is mined; do not wait for the cross-chain message
  --timeout S       seconds to wait for the message to be applied (default ${DEFAULT_TIMEOUT_SECONDS})`;

export interface WaitSettings {
  wait: boolean;
  timeoutMs: number;
}

export function parseWaitOptions(values: {
  "no-wait"?: boolean | undefined;
  timeout?: string | undefined;
}): WaitSettings {
  const seconds = parseNumberOption("timeout", values.timeout, DEFAULT_TIMEOUT_SECONDS, 1, 86_400);
  return { wait: values["no-wait"] !== true, timeoutMs: seconds * 1000 };
}

const chainName = (deployment: Deployment, chainId: bigint | number) => {
  try {
    return getDeploymentChain(deployment, Number(chainId)).name;
  } catch {
    return `chain ${chainId}`;
  }
};

/** "50 USDC" for an amount of `asset` on `chainId`, or raw units when the deployment does not list it. */
function describeTokens(deployment: Deployment, chainId: bigint, asset: `0x${string}`, amount: bigint): string {
  const chain = getDeploymentChain(deployment, Number(chainId));
  const symbol = tokenSymbol(chain, asset);
  if (symbol === undefined) return `${amount} units of ${asset}`;
  return `${formatAmount(amount, chain.tokens[symbol]?.decimals ?? 0)} ${symbol}`;
}

/** One line naming a message: "BalanceReport spokeA → hub (seq 2)", "Release #3 hub → spokeA". */
export function describeMessage(deployment: Deployment, message: Message): string {
  const route = `${chainName(deployment, message.origin)} → ${chainName(deployment, message.destination)}`;
  if (message.type === "BalanceReport") return `BalanceReport ${route} (seq ${message.seq})`;
  return `${message.type} #${message.cmdNonce} ${route}`;
}

function describeDelivery(deployment: Deployment, delivery: Delivery): string {
  const { message } = delivery;
  const where = chainName(deployment, delivery.destinationChainId);
  if (message.type === "BalanceReport") {
    const locked = describeTokens(deployment, message.origin, message.asset, message.locked);
    return delivery.outcome === "applied"
      ? `${where} applied ${describeMessage(deployment, message)}: ${locked} locked`
      : `${where} ignored ${describeMessage(deployment, message)} (not newer than its last report)`;
  }
  if (delivery.outcome === "stale") return `${where} had already executed ${describeMessage(deployment, message)}`;
  const applied = describeTokens(deployment, message.destination, message.asset, delivery.applied ?? 0n);
  if (message.type === "Lock") return `${where} executed ${describeMessage(deployment, message)}: locked ${applied}`;
  const to = message.to === "0x0000000000000000000000000000000000000000" ? "free balance" : message.to;
  return `${where} executed ${describeMessage(deployment, message)}: ${applied} to ${to}`;
}

/** Progress lines for `waitForDelivery`, written to standard error. */
export function progressPrinter(deployment: Deployment, print: (line: string) => void) {
  let lastWaitingLine = 0;
  return (progress: DeliveryProgress) => {
    switch (progress.status) {
      case "sent":
        for (const sent of progress.messages) {
          print(`sent ${describeMessage(deployment, sent.message)}; waiting for delivery…`);
        }
        lastWaitingLine = Date.now();
        break;
      case "waiting":
        if (Date.now() - lastWaitingLine >= WAITING_LINE_EVERY_MS) {
          lastWaitingLine = Date.now();
          print(
            `  still waiting for ${chainName(deployment, progress.destinationChainId)} (${Math.round(progress.elapsed / 1000)} s)`,
          );
        }
        break;
      case "parked":
        print(
          `  ${describeMessage(deployment, progress.message)} arrived ahead of an earlier command and waits for it`,
        );
        break;
      case "delivered":
        print(`  ${describeDelivery(deployment, progress.delivery)}`);
        break;
    }
  };
}

/**
 * Waits for every message of `hash` (sent on `chainId`) to be applied, printing progress to standard error;
 * returns undefined with --no-wait.
 */
export async function followMessages(
  session: Session,
  hash: Hash,
  chainId: number,
  settings: WaitSettings,
): Promise<WaitForDeliveryReturnType | undefined> {
  if (!settings.wait) {
    console.error(`not waiting for delivery (--no-wait); transaction ${hash}`);
    return undefined;
  }
  const started = Date.now();
  const result = await session.hubReader().waitForDelivery({
    hash,
    chain: chainId,
    timeout: settings.timeoutMs,
    onProgress: progressPrinter(session.deployment, (line) => console.error(line)),
  });
  console.error(`delivered in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return result;
}
