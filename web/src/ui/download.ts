/** Hands bytes the API returned (a CSV export) to the browser as a download under `filename`.
 * The object URL lives a little while after the click: revoking it at once can cancel the
 * download in some browsers. */
export function saveDownload(bytes: Uint8Array<ArrayBuffer>, filename: string, type: string): void {
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
