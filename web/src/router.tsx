import { createBrowserRouter, Navigate, useRouteError } from "react-router";
import { RequireAuth } from "./auth/session";
import { Layout, PublicLayout } from "./components/Layout";
import { AcceptInvitationPage, LogInPage, SignUpPage } from "./pages/AuthPages";
import { ConfirmEmailPage } from "./pages/ConfirmEmailPage";
import { CallsPage } from "./pages/CallsPage";
import { UploadPage } from "./pages/UploadPage";

function Failure() {
  const error = useRouteError();
  return (
    <main id="main" className="public">
      <h1>Something went wrong</h1>
      <p role="alert">{error instanceof Error ? error.message : "This page could not be shown."}</p>
      <a href="/calls">Back to calls</a>
    </main>
  );
}

function NotFound() {
  return (
    <section>
      <h1>Page not found</h1>
      <a href="/calls">Back to calls</a>
    </section>
  );
}

export const router = createBrowserRouter([
  {
    errorElement: <Failure />,
    children: [
      {
        element: <PublicLayout />,
        children: [
          { path: "/signup", element: <SignUpPage /> },
          { path: "/login", element: <LogInPage /> },
          { path: "/invitations/:token", element: <AcceptInvitationPage /> },
          { path: "/confirm-email/:token", element: <ConfirmEmailPage /> },
        ],
      },
      {
        element: (
          <RequireAuth>
            <Layout />
          </RequireAuth>
        ),
        children: [
          { path: "/", element: <Navigate to="/calls" replace /> },
          { path: "/calls", element: <CallsPage /> },
          { path: "/upload", element: <UploadPage /> },
          // the call page (player, virtualized transcript) loads when first opened
          { path: "/calls/:id", lazy: async () => ({ Component: (await import("./pages/CallPage")).CallPage }) },
          { path: "/privacy", lazy: async () => ({ Component: (await import("./privacy/PrivacyPage")).PrivacyPage }) },
          {
            path: "/privacy/requests/:id",
            lazy: async () => ({ Component: (await import("./privacy/RequestPage")).PrivacyRequestPage }),
          },
          { path: "/library", lazy: async () => ({ Component: (await import("./library/LibraryPage")).LibraryPage }) },
          {
            path: "/library/:id",
            lazy: async () => ({ Component: (await import("./library/PlaylistPage")).PlaylistPage }),
          },
          {
            path: "/notifications",
            lazy: async () => ({ Component: (await import("./notifications/NotificationsPage")).NotificationsPage }),
          },
          { path: "/team", lazy: async () => ({ Component: (await import("./team/DashboardPage")).DashboardPage }) },
          {
            path: "/settings",
            lazy: async () => ({ Component: (await import("./settings/SettingsPage")).SettingsPage }),
            children: [
              { index: true, element: <Navigate to="/settings/members" replace /> },
              {
                path: "members",
                lazy: async () => ({ Component: (await import("./settings/MembersSettings")).MembersSettings }),
              },
              {
                path: "api-keys",
                lazy: async () => ({ Component: (await import("./settings/ApiKeysSettings")).ApiKeysSettings }),
              },
              {
                path: "trackers",
                lazy: async () => ({ Component: (await import("./settings/TrackersSettings")).TrackersSettings }),
              },
              {
                path: "scorecards",
                lazy: async () => ({ Component: (await import("./settings/ScorecardsSettings")).ScorecardsSettings }),
              },
              {
                path: "billing",
                lazy: async () => ({ Component: (await import("./settings/BillingSettings")).BillingSettings }),
              },
              {
                path: "integrations",
                lazy: async () => ({
                  Component: (await import("./settings/integrations/IntegrationsSettings")).IntegrationsSettings,
                }),
              },
            ],
          },
          { path: "*", element: <NotFound /> },
        ],
      },
    ],
  },
]);
