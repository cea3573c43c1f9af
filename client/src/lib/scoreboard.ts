/**
 * The scoreboard's groups from `GET /api/v1/cycles/{id}/scoreboard`: the server filters by team, owner, level and
 * kind and computes every number; the screen orders groups (company first, then teams by name) and rows (worst
 * status first), filters by status, and leaves archived objectives and empty groups out.
 */
import type { Schemas } from "../api/client";
import { type Status, STATUS_SEVERITY, STATUSES } from "./status";

export type ScoreboardObjective = Schemas["ScoreboardObjective"];

export interface ScoreboardFilters {
  team: string | null;
  owner: string | null;
  level: string | null;
  kind: string | null;
  status: string | null;
}

export const NO_FILTERS: ScoreboardFilters = { team: null, owner: null, level: null, kind: null, status: null };

export interface ScoreboardGroup {
  teamId: string | null;
  name: string;
  rows: ScoreboardObjective[];
}

/** The query the API understands ("company" is the group of objectives without a team, filtered here). */
export function scoreboardQuery(filters: ScoreboardFilters) {
  return {
    ...(filters.team && filters.team !== "company" ? { team_id: filters.team, include_sub_teams: true } : {}),
    ...(filters.owner ? { owner_id: filters.owner } : {}),
    ...(filters.level ? { level: filters.level as Schemas["ScoreboardObjective"]["level"] } : {}),
    ...(filters.kind ? { kind: filters.kind as Schemas["ScoreboardObjective"]["kind"] } : {}),
  };
}

export function scoreboardGroups(board: Schemas["ScoreboardPublic"], filters: ScoreboardFilters): ScoreboardGroup[] {
  return board.teams
    .filter((team) => filters.team !== "company" || team.team_id === null)
    .map((team) => ({
      teamId: team.team_id,
      name: team.name,
      rows: team.objectives
        .filter((objective) => objective.state !== "archived" && (!filters.status || objective.status === filters.status))
        .sort(
          (a, b) => STATUS_SEVERITY[a.status] - STATUS_SEVERITY[b.status] || a.title.localeCompare(b.title),
        ),
    }))
    .filter((group) => group.rows.length > 0)
    .sort((a, b) => (a.teamId === null ? -1 : b.teamId === null ? 1 : a.name.localeCompare(b.name)));
}

export function totalObjectives(counts: Partial<Record<Status, number>>): number {
  return STATUSES.reduce((total, status) => total + (counts[status] ?? 0), 0);
}
