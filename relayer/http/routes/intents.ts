import type { FastifyPluginAsync } from "fastify";
import {
  type Address,
  getAddress,
  type Hash,
  type Hex,
  isAddress,
  isAddressEqual,
  recoverTypedDataAddress,
  type TypedDataDomain,
} from "viem";
import { estimateContractGas, getBlock, getCode, waitForTransactionReceipt, writeContract } from "viem/actions";
import { z } from "zod/v4";
import { marginEngineAbi } from "../../../sdk/abi/generated.ts";
import { readEip712Domain } from "../../../sdk/actions/internal/eip712.ts";
import { engineEvent, quoteCommands } from "../../../sdk/actions/internal/engine.ts";
import { read, rpc, withGasMargin } from "../../../sdk/actions/internal/transaction.ts";
import { type ReleaseIntent, releaseIntentTypes } from "../../../sdk/actions/signReleaseIntent.ts";
import { requireContract } from "../../../sdk/deployments.ts";
import { type CallContext, ContractRevertError } from "../../../sdk/errors.ts";
import type { HubAccess } from "../../services/hub.ts";
import {
  ConflictError,
  ContractRejectionError,
  errorBodySchema,
  ServiceUnavailableError,
  UnprocessableError,
} from "../errors.ts";

const MAX_UINT64 = 2n ** 64n - 1n;
const MAX_UINT256 = 2n ** 256n - 1n;

/** JSON has no 256-bit integers: the SDK sends them as decimal strings (releaseIntentRequestBody). */
const decimal = (bits: 64 | 256, { positive = false } = {}) =>
  z
    .string()
    // `abort`: a failed check does not stop zod from running the transform, and BigInt would throw.
    .regex(/^\d{1,78}$/, { message: "must be a decimal integer string", abort: true })
    .transform(BigInt)
    .refine((value) => value <= (bits === 64 ? MAX_UINT64 : MAX_UINT256), `must fit in uint${bits}`)
    .refine((value) => !positive || value > 0n, "must be positive")
    .describe(`uint${bits} as a decimal string`);
const address = z
  .string()
  .refine((value) => isAddress(value), {
    message: "must be a 0x-prefixed 20-byte address (checksummed or all one case)",
    abort: true,
  })
  .transform((value) => getAddress(value));

export const releaseIntentBodySchema = z.strictObject({
  intent: z.strictObject({
    account: address.describe("the account releasing, which signed the intent"),
    chainId: decimal(64).describe("the chain holding the collateral"),
    asset: address.describe("the token on that chain"),
    amount: decimal(256, { positive: true }).describe("token units"),
    to: address.describe("the recipient on that chain; the zero address only unlocks"),
    nonce: decimal(256).describe("the account's next intent nonce on the engine (MarginEngine.nonces)"),
    deadline: decimal(256).describe("unix time after which the hub refuses the intent"),
  }),
  signature: z
    .string()
    .regex(/^0x(?:[0-9a-fA-F]{2})+$/, "must be 0x-prefixed hex bytes")
    .max(2 + 2 * 4096, "must be at most 4096 bytes")
    .describe("EIP-712 signature over the engine's domain (ECDSA, or whatever an ERC-1271 account accepts)"),
});

const hash = z.string().regex(/^0x[0-9a-fA-F]{64}$/);
const wei = z.string().regex(/^\d+$/).describe("wei as a decimal string");
const includedSchema = z.object({
  status: z.literal("included"),
  transactionHash: hash,
  blockNumber: z.string().regex(/^\d+$/).describe("decimal"),
  cmdNonce: z.string().regex(/^\d+$/).describe("the Release command's nonce on its chain, decimal"),
  fee: wei.describe("the message fee the operator paid"),
});
const submittedSchema = z.object({
  status: z.literal("submitted"),
  transactionHash: hash,
  fee: wei.describe("the message fee the operator paid"),
});

/** How long a request waits for the hub to include the transaction before answering 202 with its hash. */
const INCLUSION_WAIT_MS = 20_000;

/**
 * Signed release intents (EIP-712, MarginEngine.requestReleaseWithSig), submitted to the hub with the
 * operator's key, which pays gas and the Release message's fee. Checked first, in the engine's own order
 * (deadline, signature, nonce), then estimated (the estimate runs the call): anything the hub would revert is a 422 carrying the
 * engine's custom error, and nothing is sent.
 */
export const intentRoutes: FastifyPluginAsync = async (app) => {
  // Intents being submitted, by account and nonce: a second copy would pass every check (the first is
  // not mined yet) and then revert on chain at the operator's expense.
  const inFlight = new Set<string>();

  app.post(
    "/v1/intents/release",
    {
      schema: {
        summary: "Submit an EIP-712 signed release intent; the operator sends it to the hub and pays its fees",
        description:
          "200 once the hub included the transaction; 202 with the hash when it was sent but not yet included " +
          `within ${INCLUSION_WAIT_MS / 1000} s. 422 when the hub would refuse the intent (contractError names ` +
          "the engine's error: IntentExpired, InvalidSignature, InvalidAccountNonce, InsufficientCollateral, …); " +
          "409 while the same account and nonce is being submitted; 503 without a deployment; 502 when the " +
          "hub's RPC fails before anything was sent.",
        tags: ["intents"],
        body: releaseIntentBodySchema,
        response: {
          200: includedSchema,
          202: submittedSchema,
          400: errorBodySchema,
          409: errorBodySchema,
          422: errorBodySchema,
          502: errorBodySchema,
          503: errorBodySchema,
        },
      },
    },
    async (request, reply) => {
      const hub = app.hub;
      if (hub === null) throw new ServiceUnavailableError("this instance serves no protocol deployment");
      const { intent, signature } = request.body as z.output<typeof releaseIntentBodySchema>;
      const key = `${intent.account}:${intent.nonce}`;
      if (inFlight.has(key)) {
        throw new ConflictError(`an intent of ${intent.account} with nonce ${intent.nonce} is already being submitted`);
      }
      inFlight.add(key);
      try {
        const { transactionHash, fee } = await submitReleaseIntent(hub, intent, signature as Hex);
        const engine = requireContract(hub.deployment.hub, "engine");
        let receipt: Awaited<ReturnType<typeof waitForTransactionReceipt>>;
        try {
          receipt = await waitForTransactionReceipt(hub.wallet, { hash: transactionHash, timeout: INCLUSION_WAIT_MS });
        } catch (error) {
          // Sent is sent: whatever kept the receipt from us, the caller gets the hash to follow.
          request.log.warn({ err: error, transactionHash }, "release intent sent, inclusion not confirmed");
          return reply.status(202).send({ status: "submitted", transactionHash, fee: fee.toString() });
        }
        if (receipt.status === "reverted") {
          throw new UnprocessableError(
            `transaction ${transactionHash} reverted on the hub: its state changed between the checks and inclusion`,
          );
        }
        const { cmdNonce } = engineEvent(receipt, engine, "ReleaseRequested");
        return reply.status(200).send({
          status: "included",
          transactionHash,
          blockNumber: receipt.blockNumber.toString(),
          cmdNonce: cmdNonce.toString(),
          fee: fee.toString(),
        });
      } finally {
        inFlight.delete(key);
      }
    },
  );
};

/** Checks, estimates (the estimate runs the call) and sends one intent; a would-be revert is a ContractRejectionError. */
async function submitReleaseIntent(
  { deployment, wallet }: HubAccess,
  intent: ReleaseIntent,
  signature: Hex,
): Promise<{ transactionHash: Hash; fee: bigint }> {
  const engine = requireContract(deployment.hub, "engine");
  const call: CallContext = { chainId: deployment.hub.chainId, contract: engine };
  const write = (value: bigint) =>
    ({
      address: engine,
      abi: marginEngineAbi,
      functionName: "requestReleaseWithSig",
      args: [intent, signature],
      value,
      account: wallet.account,
      chain: wallet.chain,
    }) as const;
  let fee: bigint;
  let gas: bigint;
  try {
    const [domain, block, nonce] = await Promise.all([
      rpc("reading the engine's EIP-712 domain", call, () => readEip712Domain(wallet, engine)),
      rpc("reading the hub's latest block", call, () => getBlock(wallet, { blockTag: "latest" })),
      read(wallet, { address: engine, abi: marginEngineAbi, functionName: "nonces", args: [intent.account] }),
    ]);
    if (block.timestamp > intent.deadline) throw ContractRejectionError.of("IntentExpired", [intent.deadline]);
    if (!(await signedByAccount(wallet, call, domain, intent, signature))) {
      throw ContractRejectionError.of("InvalidSignature", [intent.account]);
    }
    if (nonce !== intent.nonce) throw ContractRejectionError.of("InvalidAccountNonce", [intent.account, nonce]);
    fee = await quoteCommands(wallet, deployment, intent.account, [
      { type: "Release", chainId: Number(intent.chainId), asset: intent.asset, amount: intent.amount, to: intent.to },
    ]);
    // The estimate runs the call (a refusal comes back decoded); the limit keeps a margin over it, since a report
    // the relayer applies between the estimate and inclusion can make the same call dearer.
    gas = withGasMargin(
      await rpc("estimating requestReleaseWithSig", call, () => estimateContractGas(wallet, write(fee))),
    );
  } catch (error) {
    if (error instanceof ContractRevertError) {
      throw new ContractRejectionError(`the hub would refuse the intent: ${error.errorName ?? "unknown error"}`, error);
    }
    throw error;
  }
  const transactionHash = await rpc("sending requestReleaseWithSig", call, () =>
    writeContract(wallet, { ...write(fee), gas }),
  );
  return { transactionHash, fee };
}

/**
 * Whether `signature` is the account's: recovered locally for an EOA; an account with code (ERC-1271, or
 * an EOA delegating under EIP-7702) judges its own signatures, which the estimate then asks it about.
 */
async function signedByAccount(
  wallet: HubAccess["wallet"],
  call: CallContext,
  domain: TypedDataDomain,
  intent: ReleaseIntent,
  signature: Hex,
): Promise<boolean> {
  const recovered: Address | undefined = await recoverTypedDataAddress({
    domain,
    types: releaseIntentTypes,
    primaryType: "ReleaseIntent",
    message: intent,
    signature,
  }).catch(() => undefined);
  if (recovered !== undefined && isAddressEqual(recovered, intent.account)) return true;
  const code = await rpc("reading the account's code", call, () => getCode(wallet, { address: intent.account }));
  return code !== undefined && code !== "0x";
}
