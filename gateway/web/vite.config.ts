/// <reference types="vitest/config" />
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { defineConfig, type Plugin } from 'vite'
import react from '@vitejs/plugin-react'

// nginx serves `file.gz` beside each file (gzip_static): compressed once, at the
// highest level, instead of on every request at nginx's fast default level.
function precompress(): Plugin {
  let outDir = 'dist'
  return {
    name: 'boost-precompress',
    apply: 'build',
    configResolved(config) {
      outDir = config.build.outDir
    },
    closeBundle() {
      const walk = (dir: string): string[] =>
        readdirSync(dir).flatMap((name) => {
          const path = join(dir, name)
          return statSync(path).isDirectory() ? walk(path) : [path]
        })
      for (const file of walk(outDir)) {
        if (/\.(js|css|html|svg|json)$/.test(file) && statSync(file).size > 1024) {
          writeFileSync(`${file}.gz`, gzipSync(readFileSync(file), { level: 9 }))
        }
      }
    },
  }
}

// The service worker (sw/sw-template.js) learns this build's files, so an offline reload finds
// every page's code, not only the ones visited before.
function offlineShell(): Plugin {
  return {
    name: 'boost-offline-shell',
    apply: 'build',
    generateBundle(_options, bundle) {
      const files = Object.keys(bundle).filter((f) => f.startsWith('assets/')).map((f) => `/${f}`).sort()
      const version = createHash('sha256').update(files.join('\n')).digest('hex').slice(0, 12)
      const source = readFileSync(new URL('./sw/sw-template.js', import.meta.url), 'utf8')
        .replace('__BOOST_VERSION__', version)
        .replace('__BOOST_FILES__', JSON.stringify(files))
      this.emitFile({ type: 'asset', fileName: 'sw.js', source })
    },
  }
}

// In development the API, the socket and the Slack endpoints live behind the
// gateway (nginx on :8080, `make run`); the dev server forwards them there so the
// app stays same-origin exactly as in production.
const gateway = process.env.BOOST_GATEWAY ?? 'http://localhost:8080'

export default defineConfig({
  plugins: [react(), precompress(), offlineShell()],
  server: {
    port: 5173,
    proxy: {
      '/api': { target: gateway, changeOrigin: false },
      '/socket.io': { target: gateway, ws: true, changeOrigin: false },
    },
  },
  build: {
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 600,
  },
  test: {
    environment: 'node',
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx'],
  },
})
