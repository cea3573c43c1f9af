import createFetchClient from "openapi-fetch";
import { describe, expect, it, vi } from "vitest";
import { createReauthMiddleware, problemSlug, sharedPrompt } from "./reauth";

const recentSignIn = () =>
  new Response(
    JSON.stringify({ type: "/problems/recent-sign-in-required", title: "Sign in again", status: 403, detail: "recently" }),
    { status: 403, headers: { "Content-Type": "application/problem+json" } },
  );
const created = (body: unknown) =>
  new Response(JSON.stringify(body), { status: 201, headers: { "Content-Type": "application/json" } });

interface Seen {
  method: string;
  body: string;
  key: string | null;
}

/** A client like the app's, with `answers` given in turn to the requests it sends. */
function clientWith(answers: (() => Response)[], prompt: (() => Promise<boolean>) | null) {
  const seen: Seen[] = [];
  const send = async (request: Request) => {
    seen.push({ method: request.method, body: await request.text(), key: request.headers.get("Idempotency-Key") });
    const next = answers.shift();
    if (!next) throw new Error("no more answers");
    return next();
  };
  let keys = 0;
  const client = createFetchClient({ baseUrl: "http://localhost", fetch: send });
  client.use(createReauthMiddleware(() => prompt, send, () => `fresh-${++keys}`));
  return { client, seen };
}

describe("recent sign-in: ask, then send the same request again", () => {
  it("retries the refused request with the same body after the person confirms", async () => {
    const prompt = vi.fn(() => Promise.resolve(true));
    const { client, seen } = clientWith([recentSignIn, () => created({ id: "k1" })], prompt);
    const { data, error } = await client.POST("/api/v1/api-keys" as never, {
      body: { name: "CRM", scopes: ["read"] },
      headers: { "Idempotency-Key": "first" },
    } as never);
    expect(prompt).toHaveBeenCalledTimes(1);
    expect(error).toBeUndefined();
    expect(data).toEqual({ id: "k1" });
    expect(seen).toHaveLength(2);
    expect(seen[1]!.method).toBe("POST");
    expect(JSON.parse(seen[1]!.body)).toEqual({ name: "CRM", scopes: ["read"] });
    // The refused attempt did nothing; the retry is a new attempt under a new key.
    expect(seen[0]!.key).toBe("first");
    expect(seen[1]!.key).toBe("fresh-1");
  });

  it("hands the 403 to the screen when the person cancels", async () => {
    const prompt = vi.fn(() => Promise.resolve(false));
    const { client, seen } = clientWith([recentSignIn], prompt);
    const { error, response } = await client.POST("/api/v1/api-keys" as never, { body: { name: "CRM" } } as never);
    expect(prompt).toHaveBeenCalledTimes(1);
    expect(response.status).toBe(403);
    expect(problemSlug(error)).toBe("recent-sign-in-required");
    expect(seen).toHaveLength(1);
  });

  it("asks once only: a second refusal after confirming reaches the screen", async () => {
    const prompt = vi.fn(() => Promise.resolve(true));
    const { client, seen } = clientWith([recentSignIn, recentSignIn], prompt);
    const { response } = await client.POST("/api/v1/api-keys" as never, { body: {} } as never);
    expect(response.status).toBe(403);
    expect(prompt).toHaveBeenCalledTimes(1);
    expect(seen).toHaveLength(2);
  });

  it("leaves other refusals and reads alone", async () => {
    const prompt = vi.fn(() => Promise.resolve(true));
    const forbidden = () =>
      new Response(JSON.stringify({ type: "/problems/forbidden", title: "Not allowed", status: 403, detail: "no" }), {
        status: 403,
      });
    const { client, seen } = clientWith([forbidden, recentSignIn], prompt);
    expect((await client.POST("/api/v1/api-keys" as never, { body: {} } as never)).response.status).toBe(403);
    expect((await client.GET("/api/v1/me" as never, {} as never)).response.status).toBe(403);
    expect(prompt).not.toHaveBeenCalled();
    expect(seen).toHaveLength(2);
  });

  it("without a dialog mounted, the refusal reaches the screen", async () => {
    const { client } = clientWith([recentSignIn], null);
    expect((await client.DELETE("/api/v1/me/mfa/totp" as never, {} as never)).response.status).toBe(403);
  });

  it("shares one dialog between requests refused together", async () => {
    let release: (ok: boolean) => void = () => {};
    const opened = vi.fn(() => new Promise<boolean>((resolve) => (release = resolve)));
    const prompt = sharedPrompt(opened);
    const first = prompt();
    const second = prompt();
    release(true);
    expect(await first).toBe(true);
    expect(await second).toBe(true);
    expect(opened).toHaveBeenCalledTimes(1);
    // Closed: the next refusal opens it again.
    const third = prompt();
    release(false);
    expect(await third).toBe(false);
    expect(opened).toHaveBeenCalledTimes(2);
  });
});

describe("problemSlug", () => {
  it("reads the last segment of the problem type", () => {
    expect(problemSlug({ type: "/problems/mfa-enrolment-required" })).toBe("mfa-enrolment-required");
    expect(problemSlug("text")).toBeNull();
    expect(problemSlug(null)).toBeNull();
  });
});
