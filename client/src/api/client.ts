/** The one API client: openapi-fetch typed by the generated schema, wrapped for TanStack Query. */
import createFetchClient, { type Middleware } from "openapi-fetch";
import createClient from "openapi-react-query";
import { fetchOrNetworkError } from "../lib/network";
import { createReauthMiddleware, problemSlug, type ReauthPrompt, sharedPrompt } from "../lib/reauth";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];
export type ApiPath = keyof paths;

/** Called when the API answers 401 to anything but the sign-in calls (the session ended or was revoked). */
let onUnauthorized: () => void = () => {};
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

/** Called when the API refuses a call until something is done first (`mfa-enrolment-required`, …). */
let onGate: (slug: string) => void = () => {};
export function setGateHandler(handler: (slug: string) => void): void {
  onGate = handler;
}
export const GATES = ["mfa-enrolment-required", "email-verification-required"];

/** The dialog that asks for the password (or a code) when an action needs a recent sign-in. */
let reauthPrompt: ReauthPrompt | null = null;
export function setReauthPrompt(prompt: ReauthPrompt | null): void {
  reauthPrompt = prompt && sharedPrompt(prompt);
}

// A 401 from these means "wrong credentials", not "your session ended".
const SIGN_IN_PATHS = [
  "/api/v1/auth/login",
  "/api/v1/auth/login/mfa",
  "/api/v1/auth/reauthenticate",
  "/api/v1/signup",
  "/api/v1/me",
];

const sessionMiddleware: Middleware = {
  async onResponse({ response, request }) {
    if (response.status === 401 && !SIGN_IN_PATHS.some((path) => new URL(request.url).pathname === path)) {
      onUnauthorized();
    }
    if (response.status === 403) {
      const slug = problemSlug(await response.clone().json().catch(() => null));
      if (slug && GATES.includes(slug)) onGate(slug);
    }
    return undefined;
  },
};

// Same origin: the service serves this app, and the session cookie goes with every request.
// A network failure rejects as NetworkError (lib/network.ts), so only it counts as one, not any TypeError.
export const fetchClient = createFetchClient<paths>({
  baseUrl: typeof window === "undefined" ? "http://localhost" : window.location.origin,
  credentials: "same-origin",
  fetch: fetchOrNetworkError,
});
// Registered last, so its retry's answer passes through the session middleware as well.
fetchClient.use(sessionMiddleware, createReauthMiddleware(() => reauthPrompt, fetchOrNetworkError, () => idempotencyKey()));

export const $api = createClient(fetchClient);

/** A fresh Idempotency-Key for one user action: retries of that action replay instead of duplicating. */
export function idempotencyKey(): string {
  return typeof crypto !== "undefined" && "randomUUID" in crypto
    ? crypto.randomUUID()
    : `${Date.now()}-${Math.random().toString(16).slice(2)}`;
}
