/** The map's layout from a web worker (one for the page's lifetime); where there is no Worker (tests), inline. */
import { useEffect, useState } from "react";
import { type LayoutInput, layoutMap, type MapLayout } from "../../lib/mapLayout";

let worker: Worker | null = null;
let sequence = 0;
const waiting = new Map<number, (layout: MapLayout) => void>();

function layoutOffThread(input: LayoutInput): Promise<MapLayout> {
  if (typeof Worker === "undefined") return Promise.resolve(layoutMap(input));
  if (!worker) {
    worker = new Worker(new URL("./layout.worker.ts", import.meta.url), { type: "module", name: "map-layout" });
    worker.onmessage = (event: MessageEvent<{ id: number; layout: MapLayout }>) => {
      waiting.get(event.data.id)?.(event.data.layout);
      waiting.delete(event.data.id);
    };
  }
  const id = ++sequence;
  return new Promise((resolve) => {
    waiting.set(id, resolve);
    worker!.postMessage({ id, input });
  });
}

/** The latest layout (kept on screen while the next one is computed) and whether it is for `input`. */
export function useMapLayout(input: LayoutInput | null): { layout: MapLayout | null; current: boolean } {
  const [done, setDone] = useState<{ input: LayoutInput; layout: MapLayout } | null>(null);
  useEffect(() => {
    if (!input) return;
    let live = true;
    void layoutOffThread(input).then((layout) => live && setDone({ input, layout }));
    return () => {
      live = false;
    };
  }, [input]);
  return { layout: done?.layout ?? null, current: done !== null && done.input === input };
}
