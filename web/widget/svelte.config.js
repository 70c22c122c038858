import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/**
 * The embeddable widget is compiled on its own, as a custom element with its own shadow
 * root (web/widget/vite.config.ts); svelte-check reads this file for `widget/`.
 */
export default {
  preprocess: vitePreprocess(),
  compilerOptions: { customElement: true },
};
