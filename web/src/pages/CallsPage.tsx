// The calls list: search, filters and sort live in the URL (shareable, back button
// works); pages are fetched with the API's cursor, "Show more" appends the next one.
import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { useEffect, useState, type FormEvent } from "react";
import { Link, useLocation, useSearchParams } from "react-router";
import { api, unwrap } from "../api/client";
import { participantsOf, STATUS_LABEL, type CallStatus } from "../api/call";
import { allMembers } from "../api/lists";
import { MorePages } from "../components/MorePages";
import { useMe } from "../auth/session";
import { Options } from "../components/Options";
import { StatusBadge } from "../components/StatusBadge";
import { clock, when } from "../lib/time";

const PAGE = 25;
const FILTERS = ["q", "status", "from", "to", "rep", "sort"] as const;
type Filter = (typeof FILTERS)[number];
const SORTS = { newest: "Newest first", oldest: "Oldest first", longest: "Longest first", shortest: "Shortest first" };
const CAN_LIST_MEMBERS = new Set(["owner", "admin", "manager"]);

export function CallsPage() {
  const [params, setParams] = useSearchParams();
  const notice = (useLocation().state as { notice?: string } | null)?.notice;
  const filters = Object.fromEntries(FILTERS.map((k) => [k, params.get(k) ?? ""])) as Record<Filter, string>;
  const [search, setSearch] = useState(filters.q);
  useEffect(() => setSearch(filters.q), [filters.q]);
  const me = useMe();
  const members = useQuery({
    queryKey: ["members"],
    queryFn: allMembers,
    enabled: CAN_LIST_MEMBERS.has(me.data?.role ?? ""),
  });

  const calls = useInfiniteQuery({
    queryKey: ["calls", filters],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) => {
      const query = Object.fromEntries(Object.entries(filters).filter(([, v]) => v));
      return unwrap(
        api.GET("/v1/calls", {
          params: { query: { ...query, limit: PAGE, cursor: pageParam } as never },
        }),
      );
    },
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    // keep statuses moving while something is still in the pipeline
    refetchInterval: (q) =>
      q.state.data?.pages.some((p) => p.items.some((c) => !["scored", "failed"].includes(c.status))) ? 5000 : false,
  });

  function update(key: Filter, value: string) {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  }
  function onSearch(e: FormEvent) {
    e.preventDefault();
    update("q", search.trim());
  }
  const items = calls.data?.pages.flatMap((p) => p.items) ?? [];
  const filtered = FILTERS.some((k) => k !== "sort" && filters[k]);
  const names = new Map((members.data ?? []).map((m) => [m.id, m.name]));

  return (
    <section>
      <div className="page-head">
        <h1>Calls</h1>
        <Link className="button" to="/upload">
          Upload a call
        </Link>
      </div>
      {notice && (
        <p className="flash" role="status">
          {notice}
        </p>
      )}
      <form role="search" className="filters" onSubmit={onSearch}>
        <div className="field">
          <label htmlFor="call-search">Search</label>
          <input
            id="call-search"
            type="search"
            placeholder="Title or participant"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
          />
        </div>
        <button type="submit" className="secondary">
          Search
        </button>
        <div className="field">
          <label htmlFor="f-status">Status</label>
          <select id="f-status" value={filters.status} onChange={(e) => update("status", e.target.value)}>
            <option value="">Any status</option>
            {(Object.keys(STATUS_LABEL) as CallStatus[]).map((s) => (
              <option key={s} value={s}>
                {STATUS_LABEL[s]}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="f-from">From</label>
          <input id="f-from" type="date" value={filters.from} onChange={(e) => update("from", e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="f-to">To</label>
          <input id="f-to" type="date" value={filters.to} onChange={(e) => update("to", e.target.value)} />
        </div>
        {members.data && (
          <div className="field">
            <label htmlFor="f-rep">Rep</label>
            <select id="f-rep" value={filters.rep} onChange={(e) => update("rep", e.target.value)}>
              <option value="">Any rep</option>
              <Options choices={Object.fromEntries(members.data.map((m) => [m.id, m.name]))} />
            </select>
          </div>
        )}
        <div className="field">
          <label htmlFor="f-sort">Sort</label>
          <select id="f-sort" value={filters.sort || "newest"} onChange={(e) => update("sort", e.target.value === "newest" ? "" : e.target.value)}>
            <Options choices={SORTS} />
          </select>
        </div>
      </form>

      {calls.isPending && <p role="status">Loading calls…</p>}
      {calls.isError && <p role="alert">{calls.error.message}</p>}
      {calls.isSuccess && items.length === 0 && (
        <div className="empty">
          {filtered ? (
            <p>No calls match these filters.</p>
          ) : (
            <>
              <h2>No calls yet</h2>
              <p>Upload a recording and Clashtor transcribes it, scores it and coaches the rep.</p>
              <Link className="button" to="/upload">
                Upload your first call
              </Link>
            </>
          )}
        </div>
      )}
      {items.length > 0 && (
        <table className="calls">
          <caption className="visually-hidden">Calls you can see</caption>
          <thead>
            <tr>
              <th scope="col">Title</th>
              <th scope="col">Status</th>
              <th scope="col">Participants</th>
              {members.data && <th scope="col">Rep</th>}
              <th scope="col">Score</th>
              <th scope="col">Length</th>
              <th scope="col">Uploaded</th>
            </tr>
          </thead>
          <tbody>
            {items.map((call) => (
              <tr key={call.id}>
                <td>
                  <Link to={`/calls/${call.id}`}>{call.title || "Untitled call"}</Link>
                </td>
                <td>
                  <StatusBadge status={call.status} />
                </td>
                <td>{participantsOf(call).map((p) => p.name || p.email).filter(Boolean).join(", ") || "–"}</td>
                {members.data && <td>{names.get(call.uploader_id ?? "") ?? "–"}</td>}
                <td>{call.overall_score == null ? "–" : Math.round(call.overall_score)}</td>
                <td>{clock(call.duration)}</td>
                <td>{when(call.created_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <MorePages pages={calls} label="Show more calls" />
    </section>
  );
}
