// Who is signed in. The session itself is an HttpOnly cookie the page cannot read; what
// the page holds is the user (GET /v1/me) and the session's CSRF token, which login and
// signup return and GET /v1/auth/csrf gives again after a reload.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Navigate, useLocation } from "react-router";
import type { ReactNode } from "react";
import { api, setCsrfToken, unwrap, type Schemas } from "../api/client";

export type Me = Schemas["MeOut"];
export const ME_KEY = ["me"] as const;

async function loadMe(): Promise<Me | null> {
  const { data, response } = await api.GET("/v1/me");
  if (response.status === 401) {
    setCsrfToken(null);
    return null;
  }
  if (!response.ok || !data) throw new Error(`GET /v1/me answered ${response.status}`);
  const csrf = await unwrap(api.GET("/v1/auth/csrf"));
  setCsrfToken(csrf.csrf_token);
  return data;
}

export function useMe() {
  return useQuery({ queryKey: ME_KEY, queryFn: loadMe, staleTime: 60_000, retry: false });
}

/** After login or signup: remember the token and the user without another round trip. */
export function useSignedIn(): (session: Schemas["SessionOut"]) => void {
  const client = useQueryClient();
  return (session) => {
    setCsrfToken(session.csrf_token);
    client.setQueryData(ME_KEY, session.user);
  };
}

export function useSignOut(): () => Promise<void> {
  const client = useQueryClient();
  return async () => {
    await api.POST("/v1/auth/logout");
    setCsrfToken(null);
    client.clear();
    client.setQueryData(ME_KEY, null);
  };
}

/** Renders its children for a signed-in user; otherwise sends them to log in first. */
export function RequireAuth({ children }: { children: ReactNode }) {
  const me = useMe();
  const location = useLocation();
  if (me.isPending) return <p role="status">Loading…</p>;
  if (me.isError) return <p role="alert">Clashtor is not answering right now. Reload to try again.</p>;
  if (!me.data) {
    const next = encodeURIComponent(location.pathname + location.search);
    return <Navigate to={`/login?next=${next}`} replace />;
  }
  return <>{children}</>;
}
