/** /api/v1/agents/:id/enrolment: forget an enrolled agent id's binding (its data dir and credential were lost). */
import type { ControllerContext } from "../context.js";
import { IdParam } from "./common.js";
import { type Api, ApiError } from "./route.js";

export function registerAgentEnrolmentRoutes(api: Api, c: ControllerContext): void {
  api.route(
    {
      method: "DELETE",
      url: "/api/v1/agents/:id/enrolment",
      role: "admin",
      tag: "nodes",
      summary: "forget an agent id's enrolment: the next hello with an enrolment token binds it anew",
      params: IdParam,
    },
    async ({ params }) => {
      if (!(await c.auth.forgetEnrolment(params.id)))
        throw new ApiError(404, "not-found", `agent id ${params.id} is not enrolled`);
      return { agentId: params.id, forgotten: true };
    },
  );
}
