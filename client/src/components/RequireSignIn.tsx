/**
 * Routes below need a session: without one (401 from /me) the person lands on sign-in, then comes back. A new
 * organisation whose owner has not verified the email address yet sees the "check your email" screen instead.
 */
import { Center } from "@mantine/core";
import { Navigate, Outlet, useLocation } from "react-router";
import { useGates } from "../lib/gates";
import { isProblem } from "../lib/problem";
import { emailVerificationPending, useMe } from "../queries/auth";
import { CheckEmail } from "./CheckEmail";
import { Loading, QueryError } from "./QueryState";

export function RequireSignIn() {
  const me = useMe();
  const location = useLocation();
  const gates = useGates();
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
  // Until the address is verified the API refuses almost everything: say so instead of a screen of errors.
  if (emailVerificationPending(me.data) || gates.has("email-verification-required")) return <CheckEmail />;
  return <Outlet />;
}
