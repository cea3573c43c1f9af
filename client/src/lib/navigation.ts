/** Where to go after signing in: only same-app paths, never another site (open redirect). */
export function safeNext(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/scoreboard";
}
