/** A screen's code chunk that fails to load — the app was redeployed (old hashed files gone) or the network is
 * down — is not a bug: reload the page once (it then asks for the new index.html and its new chunks); if that
 * already happened a moment ago, or the browser is offline, the screen says so in plain words instead. */
const KEY = "sightline.chunk-reload";
const LOOP_GUARD_MS = 60_000;

export function isChunkLoadError(error: unknown): boolean {
  const message = error instanceof Error ? `${error.name} ${error.message}` : String(error);
  return /dynamically imported module|Importing a module script failed|Unable to preload|ChunkLoadError|Loading chunk/i.test(
    message,
  );
}

/** Reload once; false when a reload happened in the last minute (a loop) or the browser is offline. */
export function reloadOnce(storage: Storage = sessionStorage, location: Pick<Location, "reload"> = window.location): boolean {
  if (typeof navigator !== "undefined" && navigator.onLine === false) return false;
  let last: number;
  try {
    last = Number(storage.getItem(KEY) ?? 0);
  } catch {
    return false; // no storage: no way to tell a loop, so no automatic reload
  }
  if (Date.now() - last < LOOP_GUARD_MS) return false;
  try {
    storage.setItem(KEY, String(Date.now()));
  } catch {
    return false;
  }
  location.reload();
  return true;
}
