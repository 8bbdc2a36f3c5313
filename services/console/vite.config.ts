import { defineConfig } from 'vite'
import react from '@vitejs/plugin-react'

// The build is committed (dist/, embedded by embed.go and served by the
// gateway), so it must be the same bytes from the same sources: no source
// maps with absolute paths, content-hashed names only.
export default defineConfig({
  plugins: [react()],
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    // Every browser that runs the console preloads modules natively.
    modulePreload: { polyfill: false },
    // Swagger UI (the API page only) is one large prebuilt file.
    chunkSizeWarningLimit: 2000,
    rolldownOptions: {
      input: { main: 'index.html', docs: 'docs/index.html' },
    },
  },
  server: {
    // `npm run dev` against a running suite: the API and the documents come from the gateway.
    proxy: { '/v1': 'http://localhost:8080', '/openapi': 'http://localhost:8080', '/readyz': 'http://localhost:8080' },
  },
})
