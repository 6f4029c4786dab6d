import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';
import { VitePWA } from 'vite-plugin-pwa';
import pkg from './package.json' with { type: 'json' };

// The server (`doorstep serve`) serves dist/ at `/` on the same origin as /api/v1;
// in development vite proxies /api to it.
export default defineConfig({
  plugins: [
    preact(),
    VitePWA({
      strategies: 'injectManifest',
      srcDir: 'src',
      filename: 'sw.js',
      registerType: 'prompt',
      injectRegister: false,
      includeAssets: ['favicon.svg', 'icons/*.png'],
      injectManifest: {
        globPatterns: ['**/*.{js,css,html,svg,png,webmanifest}'],
        rollupFormat: 'iife',
      },
      manifest: {
        name: 'Doorstep – Dân vận',
        short_name: 'Doorstep',
        description:
          'Ứng dụng ghi nhận công tác Dân vận tại hộ gia đình, dùng được khi không có mạng',
        lang: 'vi',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        orientation: 'portrait',
        background_color: '#ffffff',
        theme_color: '#b71c1c',
        icons: [
          { src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png' },
          {
            src: '/icons/maskable-512.png',
            sizes: '512x512',
            type: 'image/png',
            purpose: 'maskable',
          },
        ],
      },
      devOptions: { enabled: false },
    }),
  ],
  // DOORSTEP_APP_VERSION names a build (e.g. a deploy's tag); the package version by default.
  define: { __APP_VERSION__: JSON.stringify(process.env.DOORSTEP_APP_VERSION || pkg.version) },
  server: {
    proxy: { '/api': 'http://127.0.0.1:8000' },
    // The vocabulary is the server's file (src/vocabulary.js imports it), outside this folder.
    fs: { allow: ['.', '../server/vocabulary.json'] },
  },
  build: { target: 'es2020', sourcemap: false },
  test: {
    environment: 'node',
    include: ['test/**/*.test.js'],
    setupFiles: ['fake-indexeddb/auto'],
  },
});
