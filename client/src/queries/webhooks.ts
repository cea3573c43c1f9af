/** Webhook endpoints (admin): create, edit, ping, rotate, delete; the delivery log and redelivery. */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { $api, fetchClient } from "../api/client";
import { collectPages, invalidatePaths, PAGE_LIMIT } from "./shared";
import { withIdempotencyKey, withIfMatch } from "./mutations";

export function useWebhookEndpoints(enabled: boolean) {
  return useQuery({
    queryKey: $api.queryOptions("get", "/api/v1/webhook-endpoints", { params: { query: { limit: PAGE_LIMIT } } }).queryKey,
    queryFn: ({ signal }) =>
      collectPages((cursor) =>
        fetchClient.GET("/api/v1/webhook-endpoints", { params: { query: { limit: PAGE_LIMIT, cursor } }, signal }),
      ),
    enabled,
  });
}

/** The newest deliveries of one endpoint (one page: the log is for looking, not for export). */
export function useDeliveries(endpointId: string) {
  return $api.useQuery("get", "/api/v1/webhook-endpoints/{endpoint_id}/deliveries", {
    params: { path: { endpoint_id: endpointId }, query: { limit: 50 } },
  });
}

/** The catalogue of event types an endpoint can subscribe to (the service's own list; it changes with a release). */
export function useEventTypes() {
  return $api.useQuery("get", "/api/v1/event-types", {}, { staleTime: Infinity });
}

const WEBHOOK_READS = ["/api/v1/webhook-endpoints"] as const;

export function useCreateEndpoint() {
  const queryClient = useQueryClient();
  return withIdempotencyKey(
    $api.useMutation("post", "/api/v1/webhook-endpoints", { onSuccess: () => invalidatePaths(queryClient, ...WEBHOOK_READS) }),
  );
}

export function useUpdateEndpoint() {
  const queryClient = useQueryClient();
  return withIfMatch(
    $api.useMutation("patch", "/api/v1/webhook-endpoints/{endpoint_id}", {
    onSuccess: () => invalidatePaths(queryClient, ...WEBHOOK_READS),
  }),
  );
}

export function useDeleteEndpoint() {
  const queryClient = useQueryClient();
  return withIfMatch(
    $api.useMutation("delete", "/api/v1/webhook-endpoints/{endpoint_id}", {
    onSuccess: () => invalidatePaths(queryClient, ...WEBHOOK_READS),
  }),
  );
}

export function usePing() {
  const queryClient = useQueryClient();
  return withIdempotencyKey(
    $api.useMutation("post", "/api/v1/webhook-endpoints/{endpoint_id}/ping", {
    onSettled: () => invalidatePaths(queryClient, ...WEBHOOK_READS),
  }),
  );
}

export function useRotateSecret() {
  const queryClient = useQueryClient();
  return withIdempotencyKey(
    $api.useMutation("post", "/api/v1/webhook-endpoints/{endpoint_id}/rotate-secret", {
    onSuccess: () => invalidatePaths(queryClient, ...WEBHOOK_READS),
  }),
  );
}

export function useRecover() {
  const queryClient = useQueryClient();
  return withIdempotencyKey(
    $api.useMutation("post", "/api/v1/webhook-endpoints/{endpoint_id}/recover", {
    onSuccess: () => invalidatePaths(queryClient, ...WEBHOOK_READS),
  }),
  );
}
