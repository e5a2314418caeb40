/** The `ws` WebSocket client, re-exported for code outside this package (CLI helpers, cross-package tests). */
export { default as WebSocket } from "ws";
