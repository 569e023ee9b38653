// Files attached to what a person writes (notices, circulations, mail): the size as people
// read it and the upload over plain HTTP (the picker is FilePicker.tsx). Free of React.
import { csrfToken } from "../api/csrf";

/** 820 B, 12.3 KB, 4.5 MB. */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

export interface Uploaded {
  id: string;
  name: string;
  size: number;
}

/**
 * One file up to a feature's upload endpoint (`/files/notices`, `/files/mail`: one `file`
 * field, the session with its CSRF header); the attachment it answers, or the error code.
 */
export async function uploadFile(
  endpoint: string,
  file: File,
): Promise<{ attachment?: Uploaded; code?: string }> {
  const body = new FormData();
  body.append("file", file, file.name);
  try {
    const response = await fetch(endpoint, {
      method: "POST",
      body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken() },
    });
    const answer = (await response.json().catch(() => ({}))) as {
      attachment?: Uploaded;
      errors?: { code: string }[];
    };
    if (response.ok && answer.attachment) return { attachment: answer.attachment };
    return { code: answer.errors?.[0]?.code ?? "unknown" };
  } catch {
    return { code: "network" };
  }
}
