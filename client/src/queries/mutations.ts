/**
 * The two request headers a write may need, added in one place: the hooks in queries/ wrap their mutation with
 * `withIdempotencyKey` (creates and other POSTs the API can replay) or `withIfMatch` (edits and deletes of a versioned
 * resource), and screens never write either header themselves.
 */
import type { MutateOptions, UseMutationResult } from "@tanstack/react-query";
import { idempotencyKey } from "../api/client";

type Header = Record<string, string>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** What a versioned write is made against: the resource as read (its `version`), or the ETag the read answered. */
export type IfMatch = { version: number } | string;

/** The ETag of what was read: the API derives ETags from row versions (`"7"`); a read's own ETag is used as is. */
export function etagOf(read: IfMatch): string {
  return typeof read === "string" ? read : `"${read.version}"`;
}

/** A call's init (openapi-fetch's `{ params: { header } }`) with these headers added to the ones it has. */
export function withHeaders<TInit>(init: TInit, headers: Header): TInit {
  const given = (init ?? {}) as { params?: { header?: Header } };
  return { ...given, params: { ...given.params, header: { ...given.params?.header, ...headers } } } as TInit;
}

/**
 * Every `mutate` gets a fresh Idempotency-Key. It is made once per call, not per attempt: a mutation's retries (after a
 * network failure) send the same variables, so the API replays the first answer instead of writing twice.
 */
export function withIdempotencyKey<TData, TError, TVariables, TContext>(
  mutation: UseMutationResult<TData, TError, TVariables, TContext>,
): UseMutationResult<TData, TError, TVariables, TContext> {
  type Options = MutateOptions<TData, TError, TVariables, TContext>;
  const keyed = (variables: TVariables) => withHeaders(variables, { "Idempotency-Key": idempotencyKey() });
  return {
    ...mutation,
    mutate: (variables: TVariables, options?: Options) => mutation.mutate(keyed(variables), options),
    mutateAsync: (variables: TVariables, options?: Options) => mutation.mutateAsync(keyed(variables), options),
  } as UseMutationResult<TData, TError, TVariables, TContext>;
}

// The call's init without the If-Match header the contract declares (the helper adds it): `params` becomes optional
// when the header was all it required.
type IF_MATCH = "If-Match" | "if-match";
type ParamsWithoutIfMatch<P> = Omit<P, "header"> & {
  header?: P extends { header?: infer H } ? Omit<NonNullable<H>, IF_MATCH> : never;
};
type WithoutIfMatch<V> = V extends { params?: infer P }
  ? Omit<V, "params"> &
      (object extends Omit<NonNullable<P>, "header"> ? { params?: ParamsWithoutIfMatch<NonNullable<P>> } : { params: ParamsWithoutIfMatch<NonNullable<P>> })
  : V;

/** What a versioned write's `mutate` takes: the call's init without If-Match, and the version it is made against. */
export type MatchedVariables<TVariables> = WithoutIfMatch<TVariables> & { ifMatch: IfMatch };

/** A mutation whose calls say which version they change: `mutate({ ...init, ifMatch: objective })`. */
export type MatchedMutation<TData, TError, TVariables, TContext> = DistributiveOmit<
  UseMutationResult<TData, TError, TVariables, TContext>,
  "mutate" | "mutateAsync"
> & {
  mutate: (variables: MatchedVariables<TVariables>, options?: MutateOptions<TData, TError, TVariables, TContext>) => void;
  mutateAsync: (
    variables: MatchedVariables<TVariables>,
    options?: MutateOptions<TData, TError, TVariables, TContext>,
  ) => Promise<TData>;
};

/**
 * Every call sends If-Match for the version it was made against (required by the type: an edit cannot forget it), so
 * a concurrent change answers 412 instead of being overwritten.
 */
export function withIfMatch<TData, TError, TVariables, TContext>(
  mutation: UseMutationResult<TData, TError, TVariables, TContext>,
): MatchedMutation<TData, TError, TVariables, TContext> {
  type Options = MutateOptions<TData, TError, TVariables, TContext>;
  const matched = ({ ifMatch, ...init }: MatchedVariables<TVariables>) =>
    withHeaders(init as TVariables, { "If-Match": etagOf(ifMatch) });
  return {
    ...mutation,
    mutate: (variables: MatchedVariables<TVariables>, options?: Options) => mutation.mutate(matched(variables), options),
    mutateAsync: (variables: MatchedVariables<TVariables>, options?: Options) =>
      mutation.mutateAsync(matched(variables), options),
  };
}
