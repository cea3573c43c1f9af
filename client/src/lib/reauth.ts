/**
 * Recent sign-in for sensitive actions. The API answers 403 `recent-sign-in-required` when the session's last
 * (re)authentication is too old; this middleware then asks the person to confirm (the dialog calls
 * POST /auth/reauthenticate) and sends the very same request again, so every screen gets it without code of its own.
 */
import type { Middleware } from "openapi-fetch";

export const RECENT_SIGN_IN_REQUIRED = "recent-sign-in-required";

/** Resolves true once the person has re-authenticated, false when they gave up (the 403 then reaches the screen). */
export type ReauthPrompt = () => Promise<boolean>;

/** The problem slug of a response body (`/problems/<slug>`), if it is a problem document. */
export function problemSlug(body: unknown): string | null {
  if (typeof body !== "object" || body === null) return null;
  const type = (body as { type?: unknown }).type;
  return typeof type === "string" ? (type.split("/").pop() ?? null) : null;
}

async function slugOf(response: Response): Promise<string | null> {
  try {
    return problemSlug(await response.clone().json());
  } catch {
    return null;
  }
}

/** One prompt at a time: requests refused together wait on the same dialog. */
export function sharedPrompt(prompt: ReauthPrompt): ReauthPrompt {
  let open: Promise<boolean> | null = null;
  return () => {
    open ??= prompt().finally(() => {
      open = null;
    });
    return open;
  };
}

export function createReauthMiddleware(
  getPrompt: () => ReauthPrompt | null,
  send: (request: Request) => Promise<Response> = (request) => globalThis.fetch(request),
  newIdempotencyKey?: () => string,
): Middleware {
  // Unsent copies of requests in flight (a body can be read once), by openapi-fetch's request id.
  const copies = new Map<string, Request>();
  return {
    onRequest({ request, id }) {
      if (request.method !== "GET") copies.set(id, request.clone());
      return undefined;
    },
    async onResponse({ response, id }) {
      const copy = copies.get(id);
      copies.delete(id);
      if (!copy || response.status !== 403 || (await slugOf(response)) !== RECENT_SIGN_IN_REQUIRED) return undefined;
      const prompt = getPrompt();
      if (!prompt || !(await prompt())) return undefined;
      // The refused attempt changed nothing; a fresh Idempotency-Key keeps the retry from meeting a stored refusal.
      const headers = new Headers(copy.headers);
      if (newIdempotencyKey && headers.has("Idempotency-Key")) headers.set("Idempotency-Key", newIdempotencyKey());
      return send(new Request(copy, { headers }));
    },
    onError({ id }) {
      copies.delete(id);
      return undefined;
    },
  };
}
