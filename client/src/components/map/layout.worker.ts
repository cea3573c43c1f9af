/** The alignment map's layout, computed off the main thread (see lib/mapLayout.ts). */
import { type LayoutInput, layoutMap } from "../../lib/mapLayout";

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<{ id: number; input: LayoutInput }>) => void) | null;
  postMessage: (message: unknown) => void;
};

scope.onmessage = (event) => {
  scope.postMessage({ id: event.data.id, layout: layoutMap(event.data.input) });
};
