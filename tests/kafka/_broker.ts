/** Test-side re-export of the private-broker helper (see scripts/kafka/broker.ts). */
export * from "../../scripts/kafka/broker.ts";
