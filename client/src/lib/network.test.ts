import { describe, expect, it } from "vitest";
import { fetchClient } from "../api/client";
import { setFetchHandler } from "../test/setup";
import { NetworkError } from "./network";
import { asProblem, isNetworkError } from "./problem";

describe("isNetworkError: only fetch's own failure counts", () => {
  it("is true for a request the network never answered", async () => {
    setFetchHandler(() => Promise.reject(new TypeError("Failed to fetch")));
    const failure: unknown = await fetchClient.GET("/api/v1/me").catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(NetworkError);
    expect(isNetworkError(failure)).toBe(true);
    expect(asProblem(failure).type).toBe("/problems/network");
  });

  it("is false for a TypeError a bug throws", () => {
    let bug: unknown;
    try {
      (undefined as unknown as { title: string }).title.trim();
    } catch (error) {
      bug = error;
    }
    expect(bug).toBeInstanceOf(TypeError);
    expect(isNetworkError(bug)).toBe(false);
    expect(asProblem(bug).type).toBe("/problems/unexpected");
  });

  it("is false for an aborted request and for an answer with an error", async () => {
    setFetchHandler(() => Promise.reject(new DOMException("The operation was aborted.", "AbortError")));
    const aborted: unknown = await fetchClient.GET("/api/v1/me").catch((error: unknown) => error);
    expect(isNetworkError(aborted)).toBe(false);
    const problem = { type: "/problems/unavailable", title: "Unavailable", status: 503, detail: "later" };
    setFetchHandler(() =>
      Promise.resolve(new Response(JSON.stringify(problem), { status: 503, headers: { "Content-Type": "application/problem+json" } })),
    );
    const { error } = await fetchClient.GET("/api/v1/me");
    expect(isNetworkError(error)).toBe(false);
  });
});
