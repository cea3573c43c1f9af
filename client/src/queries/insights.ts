/** Insights: the cycle's scoreboard, health, retrospective, export and import (issue 7's endpoints). */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { $api, fetchClient } from "../api/client";
import type { paths } from "../api/schema";
import { downloadFileName } from "../lib/cycleData";
import { invalidatePaths } from "./shared";
import { withIdempotencyKey } from "./mutations";

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
  return withIdempotencyKey(
    $api.useMutation("post", "/api/v1/teams/{team_id}/reviews", {
    onSuccess: () => invalidatePaths(queryClient, "/api/v1/teams"),
  }),
  );
}

/** The retrospective stored when the cycle was closed (the API answers 409 before that: only ask for closed cycles). */
export function useRetrospective(cycleId: string | null) {
  return $api.useQuery(
    "get",
    "/api/v1/cycles/{cycle_id}/retrospective",
    { params: { path: { cycle_id: cycleId ?? "" } } },
    { enabled: cycleId !== null, staleTime: Infinity },
  );
}

export type ExportFormat = "csv" | "json";

/** One operation per format, each with its one media type (the old `?format=` URL is deprecated). */
const EXPORT_PATHS = {
  csv: "/api/v1/cycles/{cycle_id}/export/csv",
  json: "/api/v1/cycles/{cycle_id}/export/json",
} as const satisfies Record<ExportFormat, keyof paths>;

/** The cycle's export as a file (zip of CSVs or one JSON document) with the name the server gives it. */
export function useExportCycle() {
  return useMutation({
    mutationFn: async ({ cycleId, format }: { cycleId: string; format: ExportFormat }) => {
      const { data, error, response } = await fetchClient.GET(EXPORT_PATHS[format], {
        params: { path: { cycle_id: cycleId } },
        parseAs: "blob",
      });
      if (error !== undefined) throw error;
      const fallback = format === "csv" ? "cycle.zip" : "cycle.json";
      return { blob: data, fileName: downloadFileName(response.headers.get("Content-Disposition"), fallback) };
    },
  });
}

/** Import objectives, key results and check-ins (all or nothing): every OKR read of the cycle may have changed. */
export function useImportCycle() {
  const queryClient = useQueryClient();
  return withIdempotencyKey(
    $api.useMutation("post", "/api/v1/cycles/{cycle_id}/import", {
    onSuccess: () =>
      invalidatePaths(queryClient, "/api/v1/objectives", "/api/v1/key-results", "/api/v1/check-ins", "/api/v1/cycles"),
  }),
  );
}
