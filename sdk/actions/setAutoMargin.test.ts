import { beforeAll, describe, expect, it } from "vitest";
import { ClientError } from "../errors.ts";
import { deployFixture, type Fixture } from "../test-utils/fixture.ts";

describe("setAutoMargin", () => {
  let f: Fixture;
  let hub: ReturnType<Fixture["sdkClient"]>;

  beforeAll(async () => {
    f = await deployFixture();
    hub = f.sdkClient("hub");
  });

  it("opts in and out; getAccount shows the flag", async () => {
    expect((await hub.getAccount()).autoMargin).toBe(false);
    expect((await hub.setAutoMargin({ enabled: true })).enabled).toBe(true);
    expect((await hub.getAccount()).autoMargin).toBe(true);
    expect((await hub.setAutoMargin({ enabled: false })).enabled).toBe(false);
    expect((await hub.getAccount()).autoMargin).toBe(false);
  });

  it("runs on the hub only", async () => {
    await expect(f.sdkClient("spokeA").setAutoMargin({ enabled: true })).rejects.toThrow(ClientError);
  });
});
