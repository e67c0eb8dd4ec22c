/* Boost's service worker: a reload while offline opens the app from cache, with the edits
 * queued in the browser (localStorage) and the last data seen. Written into dist/sw.js by the
 * build (vite.config.ts, offlineShell) with this build's files; served by nginx with no-cache,
 * allowed by the app's CSP (default-src 'self' covers worker-src).
 *
 * - the app's files (index.html, /assets/*): cached at install; assets cache-first (their names
 *   carry their hash), the page network-first so a new version is picked up at once;
 * - GET /api/okr|feedback|auth/me (what pages show): network-first, the last answer when offline;
 * - everything else (writes, the socket, Slack): the network only. Signing out (or in as someone
 *   else) clears the data. */
const VERSION = '__BOOST_VERSION__'
const SHELL = `boost-shell-${VERSION}`
const DATA = 'boost-data-v1'
const FILES = __BOOST_FILES__

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => cache.addAll(['/', ...FILES])).then(() => self.skipWaiting()))
})

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('boost-shell-') && k !== SHELL).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  )
})

const READABLE = /^\/api\/(okr|feedback|auth\/me)(\/|$)/

self.addEventListener('fetch', (event) => {
  const request = event.request
  const url = new URL(request.url)
  if (url.origin !== self.location.origin) return
  if (request.method === 'POST' && (url.pathname === '/api/auth/logout' || url.pathname === '/api/auth/dev-login')) {
    event.waitUntil(caches.delete(DATA))
    return
  }
  if (request.method !== 'GET') return
  if (url.pathname.startsWith('/assets/')) {
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request).then((res) => {
      if (res.ok) {
        const copy = res.clone()
        caches.open(SHELL).then((cache) => cache.put(request, copy))
      }
      return res
    })))
    return
  }
  if (request.mode === 'navigate') {
    event.respondWith(fetch(request).catch(() => caches.match('/', { cacheName: SHELL })))
    return
  }
  if (READABLE.test(url.pathname) && !url.pathname.endsWith('.csv')) {
    event.respondWith(fetch(request).then((res) => {
      if (res.ok) {
        const copy = res.clone()
        caches.open(DATA).then((cache) => cache.put(request, copy))
      }
      return res
    }).catch(() => caches.match(request, { cacheName: DATA }).then((hit) => hit || Promise.reject(new TypeError('offline')))))
  }
})
