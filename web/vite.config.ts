// Vite builds the SPA into <build>/web (the --outDir given by scripts/build-web) with hashed
// file names under assets/. No inline scripts or styles: the dashboard's CSP forbids them.
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    target: 'es2022',
    assetsInlineLimit: 0, // no data: URLs for assets: every file is a hashed, cacheable file
    sourcemap: false,
    modulePreload: { polyfill: false },
    reportCompressedSize: true,
  },
});
