/** The repository's SKU catalog for tests of pure code (read once, parsed with the real schema). */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { SkuCatalog } from "../skus.js";
import { loadYaml } from "../yaml-source.js";

const path = fileURLToPath(new URL("../../../configs/skus.yaml", import.meta.url));
export const testCatalog = loadYaml(readFileSync(path, "utf8"), "configs/skus.yaml", SkuCatalog).value as SkuCatalog;
