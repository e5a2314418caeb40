/** Test helpers: assignments built from a few fields, and a controller stand-in speaking the protocol. */
export * from "./assignment.js";
export * from "./fake-controller.js";
