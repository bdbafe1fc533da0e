// The button under a cursor-paged list: the next page, while there is one ("More
// playlists"), disabled while it loads.
interface Paged {
  hasNextPage: boolean;
  isFetchingNextPage: boolean;
  fetchNextPage: () => unknown;
}

export function MorePages({ pages, label }: { pages: Paged; label: string }) {
  if (!pages.hasNextPage) return null;
  return (
    <button type="button" className="secondary" disabled={pages.isFetchingNextPage} onClick={() => pages.fetchNextPage()}>
      {pages.isFetchingNextPage ? "Loading…" : label}
    </button>
  );
}
