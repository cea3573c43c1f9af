import { MantineProvider } from "@mantine/core";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { renderHook, waitFor } from "@testing-library/react";
import type { ReactNode } from "react";
import { describe, expect, it } from "vitest";
import { setFetchHandler } from "../../test/setup";
import { useCreateCheckIn, useUpdateObjective } from "../okrs";
import { useUpdateOrganisation } from "../organisation";

interface Sent {
  method: string;
  headers: Headers;
  body: unknown;
}

/** Answers from a list (a function may throw, as fetch does when the network fails); records what was sent. */
function answering(...answers: (() => Response)[]): Sent[] {
  const sent: Sent[] = [];
  setFetchHandler(async (request) => {
    const text = await request.text();
    sent.push({ method: request.method, headers: request.headers, body: text ? JSON.parse(text) : undefined });
    const answer = answers.shift();
    if (!answer) throw new Error("no more answers");
    return answer();
  });
  return sent;
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
const offline = (): Response => {
  throw new TypeError("Failed to fetch");
};

function wrapper({ children }: { children: ReactNode }) {
  const client = new QueryClient({ defaultOptions: { mutations: { retryDelay: 1 } } });
  return (
    <MantineProvider>
      <QueryClientProvider client={client}>{children}</QueryClientProvider>
    </MantineProvider>
  );
}

const checkIn = { key_result_id: "kr-1", value: "3" };

describe("Idempotency-Key, added by the mutation hooks", () => {
  it("sends one key per call: the retry after a network failure reuses it, the next call gets a new one", async () => {
    const sent = answering(offline, () => json(201, { id: "c1" }), () => json(201, { id: "c2" }));
    const { result } = renderHook(() => useCreateCheckIn(), { wrapper });
    await result.current.mutateAsync({ body: checkIn } as never);
    await result.current.mutateAsync({ body: checkIn } as never);
    expect(sent).toHaveLength(3);
    const keys = sent.map((request) => request.headers.get("Idempotency-Key"));
    expect(keys[0]).toMatch(/\S{8,}/);
    expect(keys[1]).toBe(keys[0]);
    expect(keys[2]).not.toBe(keys[0]);
    expect(sent[0]!.body).toEqual(checkIn);
  });

  it("keeps the headers and path a call gives", async () => {
    const sent = answering(() => json(201, { id: "c1" }));
    const { result } = renderHook(() => useCreateCheckIn(), { wrapper });
    await result.current.mutateAsync({ body: checkIn, params: { header: { "X-Trace": "t1" } } } as never);
    expect(sent[0]!.headers.get("X-Trace")).toBe("t1");
    expect(sent[0]!.headers.get("Idempotency-Key")).toBeTruthy();
  });
});

describe("If-Match, added by the mutation hooks", () => {
  it("sends the ETag of the version the edit was made against, and only the body as the body", async () => {
    const sent = answering(() => json(200, { id: "o1", version: 8 }));
    const { result } = renderHook(() => useUpdateObjective(), { wrapper });
    await result.current.mutateAsync({
      params: { path: { objective_id: "o1" } },
      body: { title: "Renamed" },
      ifMatch: { version: 7 },
    });
    expect(sent[0]!.method).toBe("PATCH");
    expect(sent[0]!.headers.get("If-Match")).toBe('"7"');
    expect(sent[0]!.body).toEqual({ title: "Renamed" });
    expect(sent[0]!.headers.get("Idempotency-Key")).toBeNull();
  });

  it("sends an ETag the read answered as it is", async () => {
    const sent = answering(() => json(200, { name: "Acme" }));
    const { result } = renderHook(() => useUpdateOrganisation(), { wrapper });
    await result.current.mutateAsync({ body: { name: "Acme" }, ifMatch: 'W/"abc"' });
    expect(sent[0]!.headers.get("If-Match")).toBe('W/"abc"');
  });

  it("shows a 412 as the mutation's error, with nothing retried", async () => {
    const conflict = { type: "/problems/precondition-failed", title: "Changed", status: 412, detail: "newer version" };
    const sent = answering(() => json(412, conflict));
    const { result } = renderHook(() => useUpdateObjective(), { wrapper });
    result.current.mutate({ params: { path: { objective_id: "o1" } }, body: { title: "x" }, ifMatch: { version: 1 } });
    await waitFor(() => expect(result.current.error).toEqual(conflict));
    expect(sent).toHaveLength(1);
  });
});
