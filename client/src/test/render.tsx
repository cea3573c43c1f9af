/** Render a component inside the app's providers, with `fetch` answered by a table of canned API responses. */
import { MantineProvider } from "@mantine/core";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render } from "@testing-library/react";
import type { ReactElement } from "react";
import { MemoryRouter } from "react-router";
import { theme } from "../theme";
import { setFetchHandler } from "./setup";

export interface Recorded {
  method: string;
  path: string;
  body: unknown;
  headers: Headers;
}

/** Stub fetch: `routes["GET /api/v1/members"] = body`; unknown routes answer a 404 problem. Returns the calls. */
/** A canned answer: the body for a 200 (201 for a POST), or a function of the request body giving status and body. */
type Route = ((body: unknown) => [number, unknown]) | object | string | number | boolean | null;

export function stubApi(routes: Record<string, Route>): Recorded[] {
  const calls: Recorded[] = [];
  setFetchHandler(async (input: Request) => {
    const url = new URL(input.url);
    const text = input.method === "GET" ? "" : await input.text();
    const body: unknown = text ? JSON.parse(text) : undefined;
    calls.push({ method: input.method, path: url.pathname, body, headers: input.headers });
    const route = routes[`${input.method} ${url.pathname}`];
    const [status, payload] =
      route === undefined
        ? [404, { type: "/problems/not-found", title: "Not found", status: 404, detail: "no such route" }]
        : typeof route === "function"
          ? (route as (body: unknown) => [number, unknown])(body)
          : [input.method === "POST" ? 201 : 200, route];
    // A 204 has no body at all (the Response constructor refuses one).
    return new Response(status === 204 ? null : JSON.stringify(payload), {
      status,
      headers: { "Content-Type": status >= 400 ? "application/problem+json" : "application/json" },
    });
  });
  return calls;
}

export function renderWithProviders(ui: ReactElement) {
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false }, mutations: { retry: false } } });
  return render(
    <MantineProvider theme={theme}>
      <QueryClientProvider client={queryClient}>
        <MemoryRouter>{ui}</MemoryRouter>
      </QueryClientProvider>
    </MantineProvider>,
  );
}
