import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { repoRoot } from '../services/paths.ts';
import { loadWidgetAsset } from './widget-asset.ts';

/** A connect-style handler (SvelteKit's adapter-node build exports one). */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

/** Where `vite build` puts the adapter-node output. */
export const webBuildDir = path.join(repoRoot, 'web', 'build');

/**
 * Loads the built SvelteKit app, with `/widget.js` (the embeddable widget, built next to it)
 * in front; fails with the command to run when either is not built.
 */
export async function loadWebHandler(): Promise<NodeHandler> {
  const file = path.join(webBuildDir, 'handler.js');
  const widget = loadWidgetAsset(path.join(webBuildDir, 'widget'));
  if (!fs.existsSync(file) || !widget) {
    throw new Error(
      `the web app is not built (${fs.existsSync(file) ? 'web/build/widget/widget.js' : file} is missing); run: npm run build`,
    );
  }
  const module = (await import(file)) as { handler: NodeHandler };
  return (req, res, next) => {
    if (!widget(req, res)) module.handler(req, res, next);
  };
}
