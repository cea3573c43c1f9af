/** Who is signed in; sign-in, sign-up and sign-out. */
import { type QueryClient, useQueryClient } from "@tanstack/react-query";
import { $api, type Schemas } from "../api/client";

const ME_KEY = $api.queryOptions("get", "/api/v1/me", {}).queryKey;

export function useMe() {
  return $api.useQuery("get", "/api/v1/me", {}, { retry: false, staleTime: 60_000 });
}

/** Drop every cached read of the previous session (another organisation's data must never flash up). */
function forgetOtherQueries(queryClient: QueryClient): void {
  queryClient.removeQueries({ predicate: (query) => query.queryKey[1] !== "/api/v1/me" });
}

function signedIn(queryClient: QueryClient, me: Schemas["Me"]): void {
  forgetOtherQueries(queryClient);
  queryClient.setQueryData(ME_KEY, me);
}

/** The session ended (sign-out, expiry, revocation): ask the API again, which answers 401 → sign-in screen. */
export function sessionEnded(queryClient: QueryClient): Promise<void> {
  forgetOtherQueries(queryClient);
  return queryClient.resetQueries({ queryKey: ME_KEY });
}

export function useLogin() {
  const queryClient = useQueryClient();
  return $api.useMutation("post", "/api/v1/auth/login", { onSuccess: (me) => signedIn(queryClient, me) });
}

export function useSignup() {
  const queryClient = useQueryClient();
  return $api.useMutation("post", "/api/v1/signup", { onSuccess: (me) => signedIn(queryClient, me) });
}

export function useLogout() {
  const queryClient = useQueryClient();
  return $api.useMutation("post", "/api/v1/auth/logout", { onSettled: () => sessionEnded(queryClient) });
}

/** The signed-in person's own password; the API ends their other sessions and keeps this one. */
export function useChangePassword() {
  return $api.useMutation("post", "/api/v1/me/password");
}
