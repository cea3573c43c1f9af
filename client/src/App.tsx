/** Providers and routes: one route per view (see docs/readme/web-app.md). */
import { MantineProvider } from "@mantine/core";
import { Notifications } from "@mantine/notifications";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { type ComponentType, lazy, Suspense, useEffect, useState } from "react";
import { createBrowserRouter, Navigate, RouterProvider } from "react-router";
import { setGateHandler, setUnauthorizedHandler } from "./api/client";
import { AppLayout } from "./components/AppLayout";
import { Loading } from "./components/QueryState";
import { ReauthDialog } from "./components/ReauthDialog";
import { RequireSignIn } from "./components/RequireSignIn";
import { reportGate } from "./lib/gates";
import { isNetworkError } from "./lib/problem";
import { sessionEnded } from "./queries/auth";
import { invalidatePaths } from "./queries/shared";
import { cssVariablesResolver, theme } from "./theme";
import { AccountView } from "./views/AccountView";
import { CrashView } from "./views/CrashView";
import { InitiativesView } from "./views/initiatives/InitiativesView";
import { KpiView } from "./views/kpis/KpiView";
import { KpisView } from "./views/kpis/KpisView";
import { MfaSignInView } from "./views/MfaSignInView";
import { MyCheckInsView } from "./views/MyCheckInsView";
import { NotFoundView } from "./views/NotFoundView";
import { ReviewView } from "./views/ReviewView";
import { ScoreboardView } from "./views/ScoreboardView";
import { ApiKeysSettings } from "./views/settings/ApiKeysSettings";
import { CyclesSettings } from "./views/settings/CyclesSettings";
import { IntegrationsSettings } from "./views/settings/integrations/IntegrationsSettings";
import { MailSettings } from "./views/settings/MailSettings";
import { MembersSettings } from "./views/settings/MembersSettings";
import { NotificationSettings } from "./views/settings/NotificationSettings";
import { OrganisationSettings } from "./views/settings/OrganisationSettings";
import { SettingsLayout } from "./views/settings/SettingsLayout";
import { TeamsSettings } from "./views/settings/TeamsSettings";
import { WebhooksSettings } from "./views/settings/WebhooksSettings";
import { SignInView } from "./views/SignInView";
import { SignUpView } from "./views/SignUpView";
import { VerifyEmailView } from "./views/VerifyEmailView";
import { AcceptInvitationView } from "./views/people/AcceptInvitationView";
import { ForgotPasswordView } from "./views/people/ForgotPasswordView";
import { ResetPasswordView } from "./views/people/ResetPasswordView";

/** A screen loaded with its own code chunk. When a chunk fails to load, main.tsx reloads the page once and Vite
 * then resolves the import with nothing: wait (the reload is under way) instead of rendering a broken module. */
function lazyView<K extends string>(load: () => Promise<Record<K, ComponentType> | undefined>, name: K) {
  return lazy(() =>
    load().then((module) => (module ? { default: module[name] } : new Promise<{ default: ComponentType }>(() => {}))),
  );
}

// The objective page carries the charting library: load it with the first objective opened.
const ObjectiveView = lazyView(() => import("./views/ObjectiveView"), "ObjectiveView");
const RetrospectiveView = lazyView(() => import("./views/retrospective/RetrospectiveView"), "RetrospectiveView");
const HealthView = lazyView(() => import("./views/HealthView"), "HealthView");
const ReviewRecordView = lazyView(() => import("./views/ReviewRecordView"), "ReviewRecordView");
// The alignment map carries its drawing and its layout worker.
const AlignmentMapView = lazyView(() => import("./views/AlignmentMapView"), "AlignmentMapView");
// The planning view.
const PlanningView = lazyView(() => import("./views/planning/PlanningView"), "PlanningView");

export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 15_000,
        // Problems (4xx) are answers, not glitches: retry only when the server could not be reached or failed.
        retry: (failures, error) =>
          failures < 2 && (isNetworkError(error) || (error as { status?: number }).status === 503),
      },
    },
  });
}

export const routes = [
  { path: "/sign-in", element: <SignInView /> },
  { path: "/sign-in/mfa", element: <MfaSignInView /> },
  { path: "/sign-up", element: <SignUpView /> },
  { path: "/verify-email", element: <VerifyEmailView /> },
  { path: "/forgot-password", element: <ForgotPasswordView /> },
  { path: "/reset-password", element: <ResetPasswordView /> },
  { path: "/accept-invitation", element: <AcceptInvitationView /> },
  {
    element: <RequireSignIn />,
    errorElement: <CrashView />,
    children: [
      {
        element: <AppLayout />,
        children: [
          { index: true, element: <Navigate to="/scoreboard" replace /> },
          { path: "scoreboard", element: <ScoreboardView /> },
          {
            path: "objectives/:objectiveId",
            element: (
              <Suspense fallback={<Loading label="Loading the objective" />}>
                <ObjectiveView />
              </Suspense>
            ),
          },
          {
            path: "alignment",
            element: (
              <Suspense fallback={<Loading label="Loading the alignment map" />}>
                <AlignmentMapView />
              </Suspense>
            ),
          },
          {
            path: "cycles/:cycleId/plan",
            element: (
              <Suspense fallback={<Loading label="Loading the planning view" />}>
                <PlanningView />
              </Suspense>
            ),
          },
          {
            path: "kpis",
            element: (
              <Suspense fallback={<Loading label="Loading KPIs" />}>
                <KpisView />
              </Suspense>
            ),
          },
          {
            path: "kpis/:kpiId",
            element: (
              <Suspense fallback={<Loading label="Loading the KPI" />}>
                <KpiView />
              </Suspense>
            ),
          },
          { path: "my-check-ins", element: <MyCheckInsView /> },
          { path: "initiatives", element: <InitiativesView /> },
          { path: "review", element: <ReviewView /> },
          {
            path: "reviews/:reviewId",
            element: (
              <Suspense fallback={<Loading label="Loading the review" />}>
                <ReviewRecordView />
              </Suspense>
            ),
          },
          {
            path: "health",
            element: (
              <Suspense fallback={<Loading label="Loading the cycle's health" />}>
                <HealthView />
              </Suspense>
            ),
          },
          {
            path: "retrospective",
            element: (
              <Suspense fallback={<Loading label="Loading the retrospective" />}>
                <RetrospectiveView />
              </Suspense>
            ),
          },
          {
            path: "settings",
            element: <SettingsLayout />,
            children: [
              { index: true, element: <Navigate to="/settings/organisation" replace /> },
              { path: "organisation", element: <OrganisationSettings /> },
              { path: "members", element: <MembersSettings /> },
              { path: "api-keys", element: <ApiKeysSettings /> },
              { path: "teams", element: <TeamsSettings /> },
              { path: "cycles", element: <CyclesSettings /> },
              { path: "webhooks", element: <WebhooksSettings /> },
              { path: "integrations", element: <IntegrationsSettings /> },
              { path: "notifications", element: <NotificationSettings /> },
              { path: "mail", element: <MailSettings /> },
            ],
          },
          { path: "account", element: <AccountView /> },
          { path: "*", element: <NotFoundView /> },
        ],
      },
    ],
  },
];

export function App() {
  const [queryClient] = useState(makeQueryClient);
  const [router] = useState(() => createBrowserRouter(routes));
  useEffect(() => {
    setUnauthorizedHandler(() => void sessionEnded(queryClient));
    setGateHandler((slug) => {
      reportGate(slug);
      void invalidatePaths(queryClient, "/api/v1/me");
    });
  }, [queryClient]);
  return (
    <MantineProvider theme={theme} cssVariablesResolver={cssVariablesResolver} defaultColorScheme="light">
      <Notifications position="bottom-right" limit={3} autoClose={3500} />
      <QueryClientProvider client={queryClient}>
        <RouterProvider router={router} />
        <ReauthDialog />
      </QueryClientProvider>
    </MantineProvider>
  );
}
