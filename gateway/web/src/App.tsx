import { lazy, Suspense } from 'react'
import { createBrowserRouter, Navigate, Outlet, RouterProvider, useParams } from 'react-router'
import { RouteError } from './features/errors/RouteError'
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { ApiError, setUnauthorizedHandler } from './api/client'
import { useMe } from './api/queries'
import { Layout } from './features/shell/Layout'
import { ErrorState, Loading } from './components/ui'
import { I18nProvider } from './i18n'
import { AppProvider } from './state/app'

const Dashboard = lazy(() => import('./features/dashboard/Dashboard'))
const Draft = lazy(() => import('./features/drafting/Draft'))
const Quarter = lazy(() => import('./features/objectives/Quarter'))
const ObjectivePage = lazy(() => import('./features/objectives/ObjectivePage'))
const FeedbackHub = lazy(() => import('./features/feedback/FeedbackHub'))
const Teams = lazy(() => import('./features/teams/Teams'))
const SlackMessages = lazy(() => import('./features/notifications/SlackMessages'))
const Settings = lazy(() => import('./features/account/Settings'))
const AdminPeople = lazy(() => import('./features/admin/AdminPeople'))
const SourcesAdmin = lazy(() => import('./features/connectors/SourcesAdmin'))
const AdminSettings = lazy(() => import('./features/admin/AdminSettings'))
const SignIn = lazy(() => import('./features/account/SignIn'))
const NotFound = lazy(() => import('./features/errors/NotFound'))

export const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 15_000,
      refetchOnWindowFocus: true,
      retry: (count, err) => !(err instanceof ApiError && err.status >= 400 && err.status < 500) && count < 2,
    },
  },
})

/** Everything but sign-in needs a person; a 401 sends them to sign in and back. */
function Authed() {
  const me = useMe()
  if (me.isPending) return <Loading />
  if (me.isError || !me.data) {
    if (me.error instanceof ApiError && me.error.status === 401) return <Loading />
    return (
      <main className="main main--bare" id="main">
        <ErrorState error={me.error} onRetry={() => void me.refetch()} />
      </main>
    )
  }
  return (
    <AppProvider me={me.data}>
      <Layout />
    </AppProvider>
  )
}

function LegacyTeamDraft() {
  const { cycle, team } = useParams()
  return <Navigate to={`/cycles/${cycle}/teams/${team}/draft`} replace />
}

const router = createBrowserRouter([
  {
    path: '/signin',
    errorElement: <RouteError />,
    element: (
      <Suspense fallback={<Loading />}>
        <SignIn />
      </Suspense>
    ),
  },
  {
    element: <Authed />,
    children: [
      {
        errorElement: <RouteError />,
        children: [
      { index: true, element: <Dashboard /> },
      { path: 'cycles/:cycle', element: <Quarter /> },
      { path: 'cycles/:cycle/teams/:team/draft', element: <Draft /> },
      { path: 'cycles/:cycle/teams/:team', element: <LegacyTeamDraft /> },
      { path: 'objectives/:id', element: <ObjectivePage /> },
      { path: 'feedback', element: <FeedbackHub /> },
      { path: 'teams', element: <Teams /> },
      { path: 'teams/:id', element: <Teams /> },
      { path: 'slack', element: <SlackMessages /> },
      { path: 'settings', element: <Settings /> },
      { path: 'admin/people', element: <AdminPeople /> },
      { path: 'admin/sources', element: <SourcesAdmin /> },
      { path: 'admin/settings', element: <AdminSettings /> },
      { path: '*', element: <NotFound /> },
        ],
      },
    ],
  },
  { path: '*', element: <Outlet /> },
])

setUnauthorizedHandler(() => {
  const { pathname, search, hash } = window.location
  if (pathname.startsWith('/signin')) return
  void router.navigate(`/signin?next=${encodeURIComponent(pathname + search + hash)}`, { replace: true })
})

export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <I18nProvider>
        <RouterProvider router={router} />
      </I18nProvider>
    </QueryClientProvider>
  )
}
