/** /api/v1/session: who the bearer token belongs to (name and role), for the dashboard's login. */
import type { Api } from "./route.js";

export function registerSessionRoutes(api: Api): void {
  api.route(
    {
      method: "GET",
      url: "/api/v1/session",
      role: "viewer",
      tag: "auth",
      summary: "the name and role of the bearer token",
    },
    async ({ user }) => ({
      name: user?.name ?? "anonymous",
      role: user?.role ?? "viewer",
    }),
  );
}
