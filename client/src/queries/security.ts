/** Two-step sign-in (TOTP and recovery codes), the person's sessions, re-authentication and email verification. */
import { useQueryClient } from "@tanstack/react-query";
import { $api } from "../api/client";
import { clearGate } from "../lib/gates";
import { invalidatePaths } from "./shared";

export function useMfaStatus(enabled = true) {
  return $api.useQuery("get", "/api/v1/me/mfa", {}, { enabled, staleTime: 30_000 });
}

/** A pending enrolment: the secret, its otpauth URI and the QR code as SVG (shown once, never cached). */
export function useStartTotp() {
  return $api.useMutation("post", "/api/v1/me/mfa/totp");
}

/**
 * The first code proves the app holds the secret; the answer carries the recovery codes, once. They go to `onCodes`
 * here, in the mutation's own callback, before the status is read again: the status turning "on" replaces the
 * enrolment form, and callbacks given to `mutate` are dropped once their component has gone.
 */
export function useConfirmTotp(onCodes: (codes: string[]) => void) {
  const queryClient = useQueryClient();
  return $api.useMutation("post", "/api/v1/me/mfa/totp/confirm", {
    onSuccess: (answer) => {
      onCodes(answer.recovery_codes);
      clearGate("mfa-enrolment-required");
      void invalidatePaths(queryClient, "/api/v1/me");
    },
  });
}

export function useDisableTotp() {
  const queryClient = useQueryClient();
  return $api.useMutation("delete", "/api/v1/me/mfa/totp", {
    onSuccess: () => invalidatePaths(queryClient, "/api/v1/me"),
  });
}

export function useNewRecoveryCodes(onCodes: (codes: string[]) => void) {
  const queryClient = useQueryClient();
  return $api.useMutation("post", "/api/v1/me/mfa/recovery-codes", {
    onSuccess: (answer) => {
      onCodes(answer.recovery_codes);
      void invalidatePaths(queryClient, "/api/v1/me/mfa");
    },
  });
}

export function useSessions() {
  return $api.useQuery("get", "/api/v1/me/sessions", {});
}

export function useEndSession() {
  const queryClient = useQueryClient();
  return $api.useMutation("delete", "/api/v1/me/sessions/{session_id}", {
    onSuccess: () => invalidatePaths(queryClient, "/api/v1/me/sessions"),
  });
}

export function useEndOtherSessions() {
  const queryClient = useQueryClient();
  return $api.useMutation("post", "/api/v1/me/sessions/end-others", {
    onSuccess: () => invalidatePaths(queryClient, "/api/v1/me/sessions"),
  });
}
