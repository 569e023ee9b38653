/** Django's CSRF token, from the yui_csrftoken cookie (not HttpOnly by design). */
export function csrfToken(
  cookie: string = typeof document === "undefined" ? "" : document.cookie,
): string {
  for (const part of cookie.split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name === "yui_csrftoken") return decodeURIComponent(rest.join("="));
  }
  return "";
}
