import { createElement, Fragment, type ReactNode, useMemo } from "react";
import { ALLOWED_TAGS, safeHref } from "./logic";

// The server sanitises every body before storing it; this renders it as React elements from
// an allow-list anyway, so no HTML string ever goes into the page as markup (no
// dangerouslySetInnerHTML): an element outside the list shows only its text, attributes other
// than a checked href are dropped. DOMParser does not run scripts of what it parses.
function toReact(node: Node, key: string): ReactNode {
  if (node.nodeType === Node.TEXT_NODE) return node.textContent;
  if (node.nodeType !== Node.ELEMENT_NODE) return null;
  const element = node as Element;
  const tag = element.tagName.toLowerCase();
  if (tag === "script" || tag === "style" || tag === "template") return null;
  const children = Array.from(element.childNodes).map((child, i) => toReact(child, `${key}.${i}`));
  if (!ALLOWED_TAGS.has(tag)) return createElement(Fragment, { key }, ...children);
  if (tag === "br" || tag === "hr") return createElement(tag, { key });
  if (tag === "a") {
    const href = safeHref(element.getAttribute("href"));
    if (!href) return createElement(Fragment, { key }, ...children);
    return createElement(
      "a",
      { key, href, rel: "noopener noreferrer", target: "_blank" },
      ...children,
    );
  }
  return createElement(tag, { key }, ...children);
}

/** A sanitised HTML body (notice, circulation, survey description). */
export function SafeHtml({ html, className }: { html: string; className?: string }) {
  const nodes = useMemo(() => {
    if (typeof DOMParser === "undefined") return [html.replace(/<[^>]*>/g, " ")];
    const doc = new DOMParser().parseFromString(html, "text/html");
    return Array.from(doc.body.childNodes).map((node, i) => toReact(node, String(i)));
  }, [html]);
  return <div className={className ?? "notice-body"}>{nodes}</div>;
}
