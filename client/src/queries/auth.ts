/** Who is signed in; sign-in, sign-up and sign-out. */
import { type QueryClient, useQueryClient } from "@tanstack/react-query";
import { $api, type Schemas } from "../api/client";
import { setDisplayTimeZone } from "../lib/format";
import { clearGate } from "../lib/gates";

const ME_KEY = $api.queryOptions("get", "/api/v1/me", {}).queryKey;

export function useMe() {
  const me = $api.useQuery("get", "/api/v1/me", {}, { retry: false, staleTime: 60_000 });
  // Every time shown in the app is in the organisation's time zone (lib/format.ts).
  setDisplayTimeZone(me.data?.organisation.settings.time_zone);
  return me;
}

/** Drop every cached read of the previous session (another organisation's data must never flash up). */
function forgetOtherQueries(queryClient: QueryClient): void {
  queryClient.removeQueries({ predicate: (query) => query.queryKey[1] !== ME_KEY[1] });
}

function signedIn(queryClient: QueryClient, me: Schemas["Me"]): void {
  forgetOtherQueries(queryClient);
  clearGate();
  queryClient.setQueryData(ME_KEY, me);
}

/** The session ended (sign-out, expiry, revocation): ask the API again, which answers 401 → sign-in screen. */
export function sessionEnded(queryClient: QueryClient): Promise<void> {
  forgetOtherQueries(queryClient);
  clearGate();
  return queryClient.resetQueries({ queryKey: ME_KEY });
}

/** The password step's answer: signed in (Me), or a second step is needed (202, a short-lived pending cookie). */
export function needsSecondStep(answer: unknown): answer is { mfa_required: true; methods: string[] } {
  return typeof answer === "object" && answer !== null && (answer as { mfa_required?: unknown }).mfa_required === true;
}

export function useLogin() {
  const queryClient = useQueryClient();
  return $api.useMutation("post", "/api/v1/auth/login", {
    onSuccess: (answer) => {
      if (!needsSecondStep(answer)) signedIn(queryClient, answer as Schemas["Me"]);
    },
  });
}

/** The second step: a code from the authenticator app or a recovery code. */
export function useLoginMfa() {
  const queryClient = useQueryClient();
  return $api.useMutation("post", "/api/v1/auth/login/mfa", { onSuccess: (me) => signedIn(queryClient, me) });
}

/** Email verification: the link's token, and a new link. */
export function useVerifyEmail() {
  const queryClient = useQueryClient();
  return $api.useMutation("post", "/api/v1/auth/verify-email", { onSuccess: () => sessionEnded(queryClient) });
}

export function useResendVerification() {
  return $api.useMutation("post", "/api/v1/auth/verify-email/resend");
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

/** Sign-up verification pending: the API refuses most calls until the link from the email is opened. */
export function emailVerificationPending(me: Schemas["Me"] | undefined): boolean {
  return me?.email_verification_required === true;
}

/** Accept an invitation: with a password, the person is signed in (the answer carries `me`); under single sign-on
 * the member exists and signs in through the identity provider at `sso_start_url`. */
export function useAcceptInvitation() {
  const queryClient = useQueryClient();
  return $api.useMutation("post", "/api/v1/invitations/accept", {
    onSuccess: (answer) => {
      if (answer.sign_in === "session" && answer.me) signedIn(queryClient, answer.me);
    },
  });
}
