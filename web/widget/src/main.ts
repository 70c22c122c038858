/**
 * The embed: `<script src="https://help.example.com/widget.js" data-key="wk_…" async></script>`.
 * Optional `data-user-email`, `data-user-name` and `data-user-hmac` pass a signed-in user
 * the tenant's backend vouches for (HMAC-SHA256 of the email with the widget secret).
 * The script defines `<switchboard-chat>` (a custom element with its own shadow root) and
 * adds one to the page, talking to the server it was loaded from.
 */
import Widget from './Widget.svelte';

const TAG = 'switchboard-chat';
const script = document.currentScript as HTMLScriptElement | null;

function mount(): void {
  if (!customElements.get(TAG)) customElements.define(TAG, (Widget as unknown as { element: CustomElementConstructor }).element);
  if (!script || document.querySelector(`${TAG}[data-embedded]`)) return;
  const element = document.createElement(TAG);
  element.dataset.embedded = '';
  element.setAttribute('widget-key', script.dataset.key ?? '');
  element.setAttribute('base-url', new URL(script.src, document.baseURI).origin);
  for (const field of ['email', 'name', 'hmac'] as const) {
    const value = script.dataset[`user${field[0]!.toUpperCase()}${field.slice(1)}`];
    if (value) element.setAttribute(`user-${field}`, value);
  }
  document.body.appendChild(element);
}

if (document.body) mount();
else document.addEventListener('DOMContentLoaded', mount, { once: true });
