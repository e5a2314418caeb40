/** What an import needs beyond the files: the configuration a source lacks, and the error of one bad source object. */
import type { SkuName } from "@benchfleet/shared";

/** Configuration a plain `vllm bench serve` file lacks, given on the command line. */
export interface ImportContext {
  sku?: SkuName;
  /** GPUs the deployment used (default: tp) */
  gpus?: number;
  tp?: number;
  ep?: number;
  framework?: string;
  precision?: string;
  isl?: number;
  osl?: number;
  image?: string;
  modelPrefix?: string;
  specDecoding?: string;
  configKey?: string;
  /** sweep id for imported rows (default `import-<date>`) */
  sweepId?: string;
  /** ISO date for rows whose source has none (default: the file's modification time) */
  date?: string;
}

/** A problem with one source object, named by file and (for arrays) index. */
export class ImportError extends Error {}
