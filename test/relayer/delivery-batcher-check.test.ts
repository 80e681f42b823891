// A relayer instance starting on a protocol deployment (anvil devnet, hub + one spoke, one operator) checks
// that each chain's recorded DeliveryBatcher has code: one that names an account without code (every batch
// sent to it would succeed and deliver nothing) stops the start with an error naming the chain and the
// address. A chain whose node does not answer cannot be checked and does not stop the start.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import type { Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RelayerConfigInput } from "../../relayer/config/schema.ts";
import { type Devnet, startDevnet } from "../../relayer/devnet/launcher.ts";
import { accountsNeeded, DEVNET_ACCOUNT_ROLES, deployDevnetProtocol } from "../../relayer/devnet/protocol.ts";
import { EngineConfigurationError } from "../../relayer/engine/network.ts";
import type { ProtocolDeployment } from "../../relayer/infra/protocol.ts";
import { buildServer } from "../../relayer/server.ts";
import { devnetRelayerConfig, UNREACHABLE_RPC } from "../helpers/relayer-api.ts";

describe("relayer start: the deployment's DeliveryBatchers", () => {
  let dir: string;
  let devnet: Devnet;
  let protocol: ProtocolDeployment;
  const servers: FastifyInstance[] = [];

  const start = async (overrides: Partial<RelayerConfigInput> = {}) => {
    const dataDir = join(dir, `instance-${servers.length}`);
    const server = await buildServer(
      devnetRelayerConfig(devnet.deployment, dataDir, { deployment: devnet.outFile, ...overrides }),
    );
    servers.push(server);
    await server.ready();
    return server;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "xmargin-batcher-check-"));
    devnet = await startDevnet({ spokes: 1, accounts: accountsNeeded(1), outFile: join(dir, "devnet.json") });
    protocol = (await deployDevnetProtocol(devnet.deployment, devnet.outFile, { operators: 1, threshold: 1 })).protocol;
  });

  afterAll(async () => {
    for (const server of servers) await server.close();
    await devnet?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("starts when every recorded batcher is a contract", async () => {
    expect(protocol.spokes[0]?.deliveryBatcher).toBeDefined();
    const server = await start();
    expect(server.engine).not.toBeNull();
  });

  it("refuses to start when a chain's deliveryBatcher has no code, naming the chain and the address", async () => {
    // The trader's account: funded, so it exists on the spoke, but it has no code.
    const account = devnet.deployment.accounts[DEVNET_ACCOUNT_ROLES.trader]?.address as Hex;
    const spoke = devnet.deployment.spokes[0] as (typeof devnet.deployment.spokes)[number];
    const deployment = JSON.parse(await readFile(devnet.outFile, "utf8"));
    deployment.spokes[0].deliveryBatcher = account;
    const faulty = join(dir, "eoa-batcher.json");
    await writeFile(faulty, JSON.stringify(deployment));

    const failure = await start({ deployment: faulty }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(EngineConfigurationError);
    expect((failure as Error).message).toMatch(
      new RegExp(`^spokeA \\(chain ${spoke.chainId}\\): the deployment's deliveryBatcher ${account} has no code there`),
    );
  });

  it("starts when a chain's node does not answer: the batcher there cannot be checked", async () => {
    const chains = [devnet.deployment.hub, ...devnet.deployment.spokes].map(({ name, chainId, rpcUrl }) => ({
      name,
      chainId,
      rpcUrl: name === "spokeA" ? UNREACHABLE_RPC : rpcUrl,
    }));
    const server = await start({ chains });
    expect(server.engine).not.toBeNull();
  });
});
