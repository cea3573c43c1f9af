/** The signed-in person's key results in every active cycle, due ones first (GET /me/key-results). */
import { $api } from "../api/client";

export function useMyKeyResults() {
  return $api.useQuery("get", "/api/v1/me/key-results");
}
