/** Names for ids: members and teams, read once and shared by every screen. */
import { useMemo } from "react";
import type { Schemas } from "../api/client";
import { useMembers } from "./organisation";
import { useTeams } from "./okrs";

export interface Directory {
  memberName: (id: string | null | undefined) => string;
  teamName: (id: string | null | undefined) => string;
  members: Schemas["MemberPublic"][];
  teams: Schemas["TeamPublic"][];
}

export function useDirectory(): Directory {
  const members = useMembers();
  const teams = useTeams();
  return useMemo(() => {
    const memberList = members.data?.items ?? [];
    const teamList = teams.data?.items ?? [];
    const memberById = new Map(memberList.map((member) => [member.id, member.name]));
    const teamById = new Map(teamList.map((team) => [team.id, team.name]));
    return {
      memberName: (id) => (id ? (memberById.get(id) ?? "Former member") : "—"),
      teamName: (id) => (id ? (teamById.get(id) ?? "Archived team") : "Company"),
      members: memberList.filter((member) => member.active),
      teams: teamList.filter((team) => !team.archived),
    };
  }, [members.data, teams.data]);
}
