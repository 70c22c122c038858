import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { repoRoot } from '../services/paths.ts';

/** A connect-style handler (SvelteKit's adapter-node build exports one). */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

/** Where `vite build` puts the adapter-node output. */
export const webBuildDir = path.join(repoRoot, 'web', 'build');

/** Loads the built SvelteKit app; fails with the command to run when it is not built. */
export async function loadWebHandler(): Promise<NodeHandler> {
  const file = path.join(webBuildDir, 'handler.js');
  if (!fs.existsSync(file)) {
    throw new Error(`the web app is not built (${file} is missing); run: npm run build`);
  }
  const module = (await import(file)) as { handler: NodeHandler };
  return module.handler;
}
