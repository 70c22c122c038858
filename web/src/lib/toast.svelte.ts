/** A short notice in the corner (errors with request ids, confirmations). */
export interface Toast {
  id: number;
  kind: 'info' | 'error' | 'success';
  text: string;
}

class Toasts {
  items = $state<Toast[]>([]);
  private next = 1;

  show(text: string, kind: Toast['kind'] = 'info', ms = 5000): void {
    const id = this.next++;
    this.items = [...this.items, { id, kind, text }];
    setTimeout(() => this.dismiss(id), ms);
  }

  dismiss(id: number): void {
    this.items = this.items.filter((t) => t.id !== id);
  }
}

/** The toasts of this tab. */
export const toasts = new Toasts();
