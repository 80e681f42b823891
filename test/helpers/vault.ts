// A CollateralVault on spoke A behind the test transport, with a plain token, a blacklist token and a
// fee-on-transfer token allowlisted and approved by the trader, and hub commands built with the next
// nonce. Shared by the vault suite and the adversarial catalogue (test/adversarial).
import { type Address, type Hex, parseUnits } from "viem";
import { type CommandMessage, encodeMessage, type MessageInput } from "../../sdk/codec/index.ts";
import type { Connection } from "./chains.ts";
import { HUB, SPOKE_A } from "./hub.ts";

/** A command; the envelope defaults to hub → spoke A and the nonce to the next one. */
type CommandFields = CommandMessage extends infer M
  ? M extends CommandMessage
    ? Omit<M, "version" | "origin" | "destination" | "cmdNonce"> & {
        cmdNonce?: bigint;
        origin?: bigint;
        destination?: bigint;
      }
    : never
  : never;

export async function deployVault(connection: Connection) {
  const [owner, trader, liquidator, other] = await connection.viem.getWalletClients();
  if (!owner || !trader || !liquidator || !other) throw new Error("need four accounts");
  const publicClient = await connection.viem.getPublicClient();
  const messenger = await connection.viem.deployContract("TestMessenger", [owner.account.address]);
  const vault = await connection.viem.deployContract("CollateralVault", [
    owner.account.address,
    HUB,
    messenger.address,
  ]);
  const usdc = await connection.viem.deployContract("TestToken", ["USD Coin", "USDC", 6]);
  const blacklist = await connection.viem.deployContract("BlacklistToken");
  const feeToken = await connection.viem.deployContract("FeeOnTransferToken", [100n]);
  for (const { address } of [usdc, blacklist, feeToken]) {
    const token = await connection.viem.getContractAt("TestToken", address);
    await vault.write.configureAsset([token.address, true, await token.read.decimals()]);
    await token.write.mint([trader.account.address, parseUnits("1000000", 18)]);
    await token.write.approve([vault.address, 2n ** 256n - 1n], { account: trader.account });
  }
  const asTrader = { account: trader.account };
  const receiptOf = (hash: Hex) => publicClient.waitForTransactionReceipt({ hash });

  let nextNonce = 1n;
  const command = (fields: CommandFields): MessageInput =>
    ({ origin: HUB, destination: SPOKE_A, cmdNonce: fields.cmdNonce ?? nextNonce++, ...fields }) as MessageInput;
  const deliver = (message: MessageInput | Hex, origin = HUB) =>
    messenger.write.deliver([vault.address, origin, typeof message === "string" ? message : encodeMessage(message)]);

  /** The vault's record of `account`'s `asset`. */
  const balanceOf = (asset: Address, account: Address = trader.account.address) =>
    vault.read.balanceOf([account, asset]);

  return {
    vault,
    messenger,
    connection,
    publicClient,
    owner,
    trader,
    liquidator,
    other,
    usdc,
    blacklist,
    feeToken,
    asTrader,
    receiptOf,
    command,
    deliver,
    balanceOf,
  };
}

export type VaultFixture = Awaited<ReturnType<typeof deployVault>>;
