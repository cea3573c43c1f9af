/** Routes below need a session: without one (401 from /me) the person lands on sign-in, then comes back. */
import { Center } from "@mantine/core";
import { Navigate, Outlet, useLocation } from "react-router";
import { isProblem } from "../lib/problem";
import { useMe } from "../queries/auth";
import { Loading, QueryError } from "./QueryState";

export function RequireSignIn() {
  const me = useMe();
  const location = useLocation();
  if (me.error) {
    if (isProblem(me.error) && me.error.status === 401) {
      const next = location.pathname + location.search;
      return <Navigate to={`/sign-in${next === "/" ? "" : `?next=${encodeURIComponent(next)}`}`} replace />;
    }
    return (
      <Center p="xl">
        <QueryError error={me.error} onRetry={() => void me.refetch()} />
      </Center>
    );
  }
  if (me.isPending) return <Loading label="Opening Sightline" />;
  return <Outlet />;
}
