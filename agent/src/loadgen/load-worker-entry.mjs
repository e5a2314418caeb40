// Worker-thread entry: registers tsx's loader in this thread (loaders of the parent thread do not
// carry over), then runs the TypeScript worker.
import { register } from "tsx/esm/api";

register();
await import("./load-worker.ts");
