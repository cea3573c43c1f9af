import { describe, expect, it, vi } from "vitest";
import { isChunkLoadError, reloadOnce } from "./chunkLoad";

function memoryStorage(): Storage {
  const data = new Map<string, string>();
  return {
    getItem: (key) => data.get(key) ?? null,
    setItem: (key, value) => void data.set(key, value),
    removeItem: (key) => void data.delete(key),
    clear: () => data.clear(),
    key: () => null,
    get length() {
      return data.size;
    },
  };
}

describe("chunk load failures", () => {
  it("recognises the browsers' messages, not other errors", () => {
    expect(isChunkLoadError(new TypeError("Failed to fetch dynamically imported module: /assets/x.js"))).toBe(true);
    expect(isChunkLoadError(new TypeError("Importing a module script failed."))).toBe(true);
    expect(isChunkLoadError(new Error("error loading dynamically imported module"))).toBe(true);
    expect(isChunkLoadError(new TypeError("x is undefined"))).toBe(false);
  });

  it("reloads once, then not again within a minute", () => {
    const storage = memoryStorage();
    const location = { reload: vi.fn() };
    expect(reloadOnce(storage, location)).toBe(true);
    expect(reloadOnce(storage, location)).toBe(false);
    expect(location.reload).toHaveBeenCalledTimes(1);
  });
});
