/** Insights: the cycle's scoreboard and health (issue 7's endpoints). */
import { useQueryClient } from "@tanstack/react-query";
import { $api } from "../api/client";
import type { paths } from "../api/schema";
import { invalidatePaths } from "./shared";

type ScoreboardFilters = Omit<
  NonNullable<paths["/api/v1/cycles/{cycle_id}/scoreboard"]["get"]["parameters"]["query"]>,
  never
>;

export function useScoreboard(cycleId: string | null, filters: ScoreboardFilters) {
  return $api.useQuery(
    "get",
    "/api/v1/cycles/{cycle_id}/scoreboard",
    { params: { path: { cycle_id: cycleId ?? "" }, query: filters } },
    { enabled: cycleId !== null },
  );
}

export function useHealth(cycleId: string | null) {
  return $api.useQuery(
    "get",
    "/api/v1/cycles/{cycle_id}/health",
    { params: { path: { cycle_id: cycleId ?? "" } } },
    { enabled: cycleId !== null },
  );
}

/** A team's review agenda (worst first) since its last recorded review. */
export function useReviewAgenda(teamId: string | null, includeSubTeams: boolean) {
  return $api.useQuery(
    "get",
    "/api/v1/teams/{team_id}/review",
    { params: { path: { team_id: teamId ?? "" }, query: { include_sub_teams: includeSubTeams } } },
    { enabled: teamId !== null },
  );
}

export function useRecordReview() {
  const queryClient = useQueryClient();
  return $api.useMutation("post", "/api/v1/teams/{team_id}/reviews", {
    onSuccess: () => invalidatePaths(queryClient, "/api/v1/teams"),
  });
}
