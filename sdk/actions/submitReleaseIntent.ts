import type { Hex } from "viem";
import { RelayerRequestError } from "../errors.ts";
import type { ReleaseIntent } from "./signReleaseIntent.ts";

export interface SubmitReleaseIntentParameters {
  intent: ReleaseIntent;
  signature: Hex;
  /** The relayer's intent endpoint; the intent is POSTed to exactly this URL. */
  relayerUrl: string;
  /** Milliseconds before giving up on the relayer. Default 10 000. */
  timeout?: number | undefined;
}

export interface SubmitReleaseIntentReturnType {
  status: number;
  /** The relayer's answer: parsed JSON when it sent JSON, else its text. */
  body: unknown;
}

export type SubmitReleaseIntentErrorType = RelayerRequestError;

/**
 * The JSON body of a release intent submission: every number as a decimal string (JSON has no 256-bit
 * integers), addresses and the signature as hex.
 */
export function releaseIntentRequestBody(intent: ReleaseIntent, signature: Hex) {
  return {
    intent: {
      account: intent.account,
      chainId: intent.chainId.toString(),
      asset: intent.asset,
      amount: intent.amount.toString(),
      to: intent.to,
      nonce: intent.nonce.toString(),
      deadline: intent.deadline.toString(),
    },
    signature,
  };
}

/**
 * POSTs a signed release intent (see `signReleaseIntent`) to a relayer, which submits it to the hub with
 * `requestReleaseWithSig` and pays the message fee. Network failures, timeouts and non-2xx answers throw
 * RelayerRequestError with the URL, status and body.
 */
export async function submitReleaseIntent(
  parameters: SubmitReleaseIntentParameters,
): Promise<SubmitReleaseIntentReturnType> {
  const { intent, signature, relayerUrl, timeout = 10_000 } = parameters;
  let response: Response;
  try {
    response = await fetch(relayerUrl, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(releaseIntentRequestBody(intent, signature)),
      signal: AbortSignal.timeout(timeout),
    });
  } catch (error) {
    throw new RelayerRequestError(relayerUrl, undefined, undefined, error);
  }
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    throw new RelayerRequestError(relayerUrl, response.status, undefined, error);
  }
  if (!response.ok) throw new RelayerRequestError(relayerUrl, response.status, text);
  let body: unknown = text;
  if (response.headers.get("content-type")?.includes("json")) {
    try {
      body = JSON.parse(text);
    } catch (error) {
      throw new RelayerRequestError(relayerUrl, response.status, text, error);
    }
  }
  return { status: response.status, body };
}
