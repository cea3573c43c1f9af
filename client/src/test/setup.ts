/** jsdom lacks what Mantine measures with; these stand-ins are enough for component tests. */
import { cleanup } from "@testing-library/react";
import { afterEach } from "vitest";

afterEach(() => cleanup());

Object.defineProperty(window, "matchMedia", {
  writable: true,
  value: (query: string) => ({
    matches: false,
    media: query,
    onchange: null,
    addListener: () => {},
    removeListener: () => {},
    addEventListener: () => {},
    removeEventListener: () => {},
    dispatchEvent: () => false,
  }),
});

class ResizeObserverStub {
  observe() {}
  unobserve() {}
  disconnect() {}
}
window.ResizeObserver = ResizeObserverStub;
window.HTMLElement.prototype.scrollIntoView = () => {};

// openapi-fetch keeps the `fetch` it finds when the client is created, so tests swap the handler behind this one.
type FetchHandler = (request: Request) => Promise<Response>;
let fetchHandler: FetchHandler = () => {
  return Promise.reject(new TypeError("no API stub in this test"));
};
export function setFetchHandler(handler: FetchHandler): void {
  fetchHandler = handler;
}
globalThis.fetch = ((input: Request) => fetchHandler(input)) as typeof fetch;
