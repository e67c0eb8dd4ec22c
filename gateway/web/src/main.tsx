import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './App'
import './styles/app.css'

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
)

// Offline: a reload opens the app from cache, with the edits still queued (dist/sw.js, built
// from sw/sw-template.js). Not in development, where Vite serves the files.
if (import.meta.env.PROD && 'serviceWorker' in navigator) {
  window.addEventListener('load', () => {
    navigator.serviceWorker.register('/sw.js').catch(() => {
      /* no worker (private mode, an old browser): the app works online as before */
    })
  })
}
