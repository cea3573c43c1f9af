/**
 * A request that never got an answer (offline, DNS, connection refused or reset, CORS). `fetch` rejects with a plain
 * TypeError then, the same class a bug throws ("x is undefined"), so the API client turns the rejection of the fetch
 * call itself, and only that, into this error: screens and retries can tell "try again" from "something broke".
 */
export class NetworkError extends Error {
  override name = "NetworkError";

  constructor(cause: unknown) {
    super("The server did not answer.", { cause });
  }
}

/** `fetch`, with its network failure as a NetworkError (an abort stays an AbortError, anything else as it was). */
export function fetchOrNetworkError(request: Request): Promise<Response> {
  return globalThis.fetch(request).catch((error: unknown) => {
    throw error instanceof TypeError ? new NetworkError(error) : error;
  });
}
