/**
 * 18-decimal fixed point ("WAD") on bigint. What the risk math uses (mulDown, mulUp, divDown, divUp,
 * mulFloor, divFloor, sqrtUp) computes exactly what contracts/libraries/FixedPoint.sol computes, so the
 * off-chain preview matches the hub to the wei.
 *
 * Every function names its rounding: `Down`/`Up` take non-negative operands and round toward zero /
 * away from zero; `Floor`/`Ceil` take signed operands and round toward −∞ / +∞.
 */
import { RiskInputError } from "./errors.ts";

export const WAD = 10n ** 18n;

const DECIMALS = 18;
const DECIMAL_PATTERN = /^(-?)(\d+)(?:\.(\d+))?$/;

function requireUnsigned(operation: string, a: bigint, b: bigint): void {
  if (a < 0n || b < 0n) throw new RiskInputError(`${operation} takes non-negative operands, got ${a} and ${b}`);
}

function requireNonZero(operation: string, divisor: bigint): void {
  if (divisor === 0n) throw new RiskInputError(`${operation}: division by zero`);
}

function floorDiv(numerator: bigint, denominator: bigint): bigint {
  const quotient = numerator / denominator;
  const remainder = numerator % denominator;
  return remainder !== 0n && remainder < 0n !== denominator < 0n ? quotient - 1n : quotient;
}

function ceilDiv(numerator: bigint, denominator: bigint): bigint {
  return -floorDiv(-numerator, denominator);
}

/** a·b rounded toward zero. */
export function mulDown(a: bigint, b: bigint): bigint {
  requireUnsigned("mulDown", a, b);
  return (a * b) / WAD;
}

/** a·b rounded away from zero. */
export function mulUp(a: bigint, b: bigint): bigint {
  requireUnsigned("mulUp", a, b);
  const product = a * b;
  return product / WAD + (product % WAD === 0n ? 0n : 1n);
}

/** a/b rounded toward zero. */
export function divDown(a: bigint, b: bigint): bigint {
  requireUnsigned("divDown", a, b);
  requireNonZero("divDown", b);
  return (a * WAD) / b;
}

/** a/b rounded away from zero. */
export function divUp(a: bigint, b: bigint): bigint {
  requireUnsigned("divUp", a, b);
  requireNonZero("divUp", b);
  const scaled = a * WAD;
  return scaled / b + (scaled % b === 0n ? 0n : 1n);
}

/** Signed a·b rounded toward −∞. */
export function mulFloor(a: bigint, b: bigint): bigint {
  return floorDiv(a * b, WAD);
}

/** Signed a·b rounded toward +∞. */
export function mulCeil(a: bigint, b: bigint): bigint {
  return ceilDiv(a * b, WAD);
}

/** Signed a/b rounded toward −∞. */
export function divFloor(a: bigint, b: bigint): bigint {
  requireNonZero("divFloor", b);
  return floorDiv(a * WAD, b);
}

/** Signed a/b rounded toward +∞. */
export function divCeil(a: bigint, b: bigint): bigint {
  requireNonZero("divCeil", b);
  return ceilDiv(a * WAD, b);
}

/** ⌊√n⌋ of a plain integer (Newton's method from a power of two above the root). */
function integerSqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let root = 1n << BigInt((n.toString(2).length + 1) >> 1);
  for (;;) {
    const next = (root + n / root) >> 1n;
    if (next >= root) return root;
    root = next;
  }
}

/** √x of a WAD value, rounded down. */
export function sqrtDown(x: bigint): bigint {
  requireUnsigned("sqrtDown", x, 0n);
  return integerSqrt(x * WAD);
}

/** √x of a WAD value, rounded up. */
export function sqrtUp(x: bigint): bigint {
  requireUnsigned("sqrtUp", x, 0n);
  const radicand = x * WAD;
  const root = integerSqrt(radicand);
  return root * root < radicand ? root + 1n : root;
}

/**
 * Parses a decimal string ("-12.5", "0.000000000000000001") into WAD, exactly. Rejects exponents,
 * whitespace, a leading "+" or ".", and more than 18 decimals, which WAD cannot hold without rounding.
 */
export function parseWad(text: string, field?: string): bigint {
  const match = DECIMAL_PATTERN.exec(text);
  if (match === null)
    throw new RiskInputError(`expected a decimal string such as "12.5", got ${JSON.stringify(text)}`, field);
  const [, sign, integerDigits = "", fractionDigits = ""] = match;
  if (fractionDigits.length > DECIMALS) {
    throw new RiskInputError(`${JSON.stringify(text)} has more than ${DECIMALS} decimals`, field);
  }
  const magnitude = BigInt(integerDigits) * WAD + BigInt(fractionDigits.padEnd(DECIMALS, "0"));
  return sign === "-" ? -magnitude : magnitude;
}

/** Formats a WAD value as the shortest exact decimal string: no trailing zeros, no "-0". */
export function formatWad(value: bigint): string {
  const magnitude = value < 0n ? -value : value;
  const fraction = (magnitude % WAD).toString().padStart(DECIMALS, "0").replace(/0+$/, "");
  return `${value < 0n ? "-" : ""}${magnitude / WAD}${fraction === "" ? "" : `.${fraction}`}`;
}
