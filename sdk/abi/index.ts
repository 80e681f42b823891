export { erc20Abi } from "viem";
export {
  collateralVaultAbi,
  erc2612Abi,
  marginEngineAbi,
  messengerAbi,
  testMessengerAbi,
  xmarginErrorsAbi,
  xmarginOracleAbi,
} from "./generated.ts";
