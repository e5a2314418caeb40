/** Shared zod pieces of the REST API. */
import { z } from "zod";

export const Paging = {
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
};

/** `a,b,c` or repeated query values → string[] */
export const csv = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : v.split(",")).map((s) => s.trim()).filter(Boolean));

export const IdParam = z.object({ id: z.string().min(1).max(300) }).strict();

export const TextFileSchema = z
  .object({ file: z.string().min(1).max(500), text: z.string().max(8 * 1024 * 1024) })
  .strict();
