import { describe, expect, it } from "vitest";
import {
  divCeil,
  divDown,
  divFloor,
  divUp,
  formatWad,
  mulCeil,
  mulDown,
  mulFloor,
  mulUp,
  parseWad,
  RiskInputError,
  sqrtDown,
  sqrtUp,
  WAD,
} from "./index.ts";

const w = (decimal: string) => parseWad(decimal);

describe("unsigned products and quotients", () => {
  it("round toward zero (Down) and away from zero (Up)", () => {
    expect(mulDown(w("1.5"), w("2"))).toBe(w("3"));
    expect(mulUp(w("1.5"), w("2"))).toBe(w("3"));
    expect(mulDown(1n, 1n)).toBe(0n);
    expect(mulUp(1n, 1n)).toBe(1n);
    expect(mulDown(w("0.333333333333333333"), w("3"))).toBe(w("0.999999999999999999"));
    expect(divDown(w("1"), w("3"))).toBe(w("0.333333333333333333"));
    expect(divUp(w("1"), w("3"))).toBe(w("0.333333333333333334"));
    expect(divDown(w("6"), w("3"))).toBe(w("2"));
    expect(divUp(w("6"), w("3"))).toBe(w("2"));
    expect(mulUp(0n, w("5"))).toBe(0n);
    expect(divUp(0n, w("5"))).toBe(0n);
  });

  it("reject negative operands and division by zero", () => {
    expect(() => mulDown(-1n, WAD)).toThrow(RiskInputError);
    expect(() => divUp(WAD, -1n)).toThrow(/non-negative/);
    expect(() => divDown(WAD, 0n)).toThrow(/division by zero/);
  });
});

describe("signed products and quotients", () => {
  it("round toward −∞ (Floor) and +∞ (Ceil)", () => {
    expect(mulFloor(-1n, 1n)).toBe(-1n);
    expect(mulCeil(-1n, 1n)).toBe(0n);
    expect(mulFloor(1n, 1n)).toBe(0n);
    expect(mulCeil(1n, 1n)).toBe(1n);
    expect(mulFloor(w("-1.5"), w("2"))).toBe(w("-3"));
    expect(divFloor(w("-1"), w("3"))).toBe(w("-0.333333333333333334"));
    expect(divCeil(w("-1"), w("3"))).toBe(w("-0.333333333333333333"));
    expect(divFloor(w("1"), w("-3"))).toBe(w("-0.333333333333333334"));
    expect(divFloor(w("-1"), w("-3"))).toBe(w("0.333333333333333333"));
    expect(divCeil(w("1"), w("3"))).toBe(w("0.333333333333333334"));
    expect(() => divFloor(WAD, 0n)).toThrow(RiskInputError);
  });
});

describe("square roots of WAD values", () => {
  it("are exact on perfect squares", () => {
    for (const [x, root] of [
      ["0", "0"],
      ["1", "1"],
      ["4", "2"],
      ["4900", "70"],
      ["0.000000000000000001", "0.000000001"],
      ["0.25", "0.5"],
    ]) {
      expect(sqrtDown(w(x as string))).toBe(w(root as string));
      expect(sqrtUp(w(x as string))).toBe(w(root as string));
    }
  });

  it("round down and up otherwise", () => {
    expect(sqrtDown(w("2"))).toBe(w("1.414213562373095048"));
    expect(sqrtUp(w("2"))).toBe(w("1.414213562373095049"));
    expect(sqrtDown(2n)).toBe(1_414_213_562n);
    expect(sqrtUp(2n)).toBe(1_414_213_563n);
  });

  it("bracket the root for large and awkward values", () => {
    for (const x of [3n, WAD - 1n, (1n << 128n) - 1n, 1n << 200n, 10n ** 40n + 12_345n]) {
      const radicand = x * WAD;
      const down = sqrtDown(x);
      expect(down * down <= radicand && (down + 1n) * (down + 1n) > radicand).toBe(true);
      const up = sqrtUp(x);
      expect(up * up >= radicand && (up - 1n) * (up - 1n) < radicand).toBe(true);
    }
  });
});

describe("parseWad", () => {
  it("parses decimal strings exactly", () => {
    expect(parseWad("0")).toBe(0n);
    expect(parseWad("-0")).toBe(0n);
    expect(parseWad("1")).toBe(WAD);
    expect(parseWad("-12.5")).toBe(-12_500_000_000_000_000_000n);
    expect(parseWad("0.000000000000000001")).toBe(1n);
    expect(parseWad("123.450000000000000000")).toBe(123_450_000_000_000_000_000n);
    expect(parseWad("007.50")).toBe(7_500_000_000_000_000_000n);
    expect(parseWad("115792089237316195423570985008687907853269984665640564039457.584007913129639935")).toBe(
      2n ** 256n - 1n,
    );
  });

  it.each([
    ["1.0000000000000000001", /more than 18 decimals/],
    ["", /expected a decimal string/],
    [" 1", /expected a decimal string/],
    ["1 ", /expected a decimal string/],
    ["1e18", /expected a decimal string/],
    ["+1", /expected a decimal string/],
    [".5", /expected a decimal string/],
    ["1.", /expected a decimal string/],
    ["1,5", /expected a decimal string/],
    ["--1", /expected a decimal string/],
    ["0x10", /expected a decimal string/],
    ["abc", /expected a decimal string/],
  ])("rejects %j", (text, message) => {
    expect(() => parseWad(text)).toThrow(RiskInputError);
    expect(() => parseWad(text)).toThrow(message);
  });

  it("names the field in its error", () => {
    expect(() => parseWad("x", "prices.WETH")).toThrow(/^prices\.WETH: expected a decimal string/);
  });
});

describe("formatWad", () => {
  it("prints the shortest exact decimal", () => {
    expect(formatWad(0n)).toBe("0");
    expect(formatWad(1n)).toBe("0.000000000000000001");
    expect(formatWad(-1n)).toBe("-0.000000000000000001");
    expect(formatWad(w("30310"))).toBe("30310");
    expect(formatWad(w("-1.5"))).toBe("-1.5");
    expect(formatWad(w("17.563888888888888889"))).toBe("17.563888888888888889");
    expect(formatWad(w("0.10"))).toBe("0.1");
  });

  it("round-trips through parseWad", () => {
    for (const value of [0n, 1n, -1n, WAD, -WAD, 123_456_789_012_345_678_901_234_567_890n, -(2n ** 255n)]) {
      expect(parseWad(formatWad(value))).toBe(value);
    }
  });
});
