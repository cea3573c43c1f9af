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

/** The first code proves the app holds the secret; the answer carries the recovery codes, once. */
export function useConfirmTotp() {
  const queryClient = useQueryClient();
  return $api.useMutation("post", "/api/v1/me/mfa/totp/confirm", {
    onSuccess: () => {
      clearGate("mfa-enrolment-required");
      return invalidatePaths(queryClient, "/api/v1/me");
    },
  });
}

export function useDisableTotp() {
  const queryClient = useQueryClient();
  return $api.useMutation("delete", "/api/v1/me/mfa/totp", {
    onSuccess: () => invalidatePaths(queryClient, "/api/v1/me"),
  });
}

export function useNewRecoveryCodes() {
  const queryClient = useQueryClient();
  return $api.useMutation("post", "/api/v1/me/mfa/recovery-codes", {
    onSuccess: () => invalidatePaths(queryClient, "/api/v1/me/mfa"),
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
