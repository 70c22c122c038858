import { ApiError } from './api.ts';
import type { EntryDto } from './types.ts';

/**
 * Adds an entry with files to a ticket (`POST /api/v1/tickets/:id/attachments`, multipart):
 * fields first, then one `file` part per file. Refusals (too large, unreadable image, too
 * many files) come back as {@link ApiError}s with the server's code and message.
 */
export async function uploadEntry(ticketId: string, files: File[], fields: Record<string, string> = {}): Promise<EntryDto> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  for (const file of files) form.append('file', file, file.name);
  let response: Response;
  try {
    response = await fetch(`/api/v1/tickets/${ticketId}/attachments`, { method: 'POST', body: form, credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, 'network', 'Cannot reach the server. Check your connection.', null);
  }
  const json = (await response.json().catch(() => null)) as
    (EntryDto & { error?: { code?: string; message?: string; details?: unknown; request_id?: string } }) | null;
  if (!response.ok) {
    const error = json?.error;
    throw new ApiError(
      response.status,
      error?.code ?? 'http_error',
      error?.message ?? `Upload failed (${response.status})`,
      error?.request_id ?? null,
      error?.details,
    );
  }
  return json as EntryDto;
}
