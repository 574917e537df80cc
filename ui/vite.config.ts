// The desktop app embeds `dist/` (see src-tauri/tauri.conf.json), so the build must use
// relative asset paths and never depend on a dev server.
import { defineConfig } from 'vite';

export default defineConfig({
  base: './',
  // Plain TSX through the built-in transformer: no React plugin (no fast refresh needed).
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1000,
  },
  server: { port: 5173, strictPort: true },
});
