import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

// The build output goes wherever CMake says (--outDir <build>/webui/dist); it is embedded into
// the hearth binary and never committed. Unit tests live in tests/webui/unit (globals, no DOM).
const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: '/',
  build: {
    outDir: 'dist',
    assetsInlineLimit: 0,
    sourcemap: false,
    target: 'es2022',
  },
  server: {
    proxy: { '/v1': 'http://127.0.0.1:11435', '/api': 'http://127.0.0.1:11435' }, // npm run dev next to hearth serve
    fs: { allow: [`${here}/..`] }, // the unit tests live in ../tests/webui
  },
  test: {
    root: `${here}/..`,
    include: ['tests/webui/unit/**/*.test.ts'],
    globals: true,
    environment: 'node',
  },
});
