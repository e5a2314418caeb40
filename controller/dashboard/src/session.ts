/**
 * Who is logged in: the token's operator name and role (`GET /api/v1/session`). Operator actions
 * are shown only for operator/admin (the API refuses them for viewers anyway).
 */
import { ApiError, api, getToken } from "./api.js";

export type Role = "viewer" | "operator" | "admin";
export interface Identity {
  name: string;
  role: Role;
}

export async function whoami(): Promise<Identity> {
  const me = await api<{ name?: string; role?: Role }>("/session");
  if (!me.role) throw new ApiError(500, "bad-response", "the session endpoint answered without a role");
  return { name: me.name ?? "?", role: me.role };
}

export function canOperate(id: Identity | undefined): boolean {
  return id?.role === "operator" || id?.role === "admin";
}
