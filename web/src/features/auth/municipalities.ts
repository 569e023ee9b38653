// The deployment's municipalities for the sign-in page's typeahead (GET /auth/municipalities,
// public: nobody is signed in yet). Not GraphQL: like sign-in itself, it is the server's
// own endpoint, and the list is the same for everyone.

export interface Municipality {
  code: string;
  name: string;
  slug: string;
}

export async function loadMunicipalities(fetcher = fetch): Promise<Municipality[]> {
  try {
    const response = await fetcher("/auth/municipalities", {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    if (!response.ok) return [];
    const body = (await response.json()) as { municipalities?: Municipality[] };
    return Array.isArray(body.municipalities) ? body.municipalities : [];
  } catch {
    // Without the list the field still takes a code or short name typed in full.
    return [];
  }
}

/** Full-width digits and letters as half-width, case and spaces ignored (as the server
 * reads a typed municipality). */
export function fold(text: string): string {
  return text.normalize("NFKC").toLowerCase().replace(/\s+/g, "");
}

/** Municipalities whose code or short name starts with what was typed, or whose name
 * holds it; all of them for an empty field. */
export function matchMunicipalities(
  all: readonly Municipality[],
  typed: string,
  limit = 8,
): Municipality[] {
  const query = fold(typed);
  if (!query) return all.slice(0, limit);
  return all
    .filter(
      (m) =>
        m.code.startsWith(query) || fold(m.slug).startsWith(query) || fold(m.name).includes(query),
    )
    .slice(0, limit);
}

/** The municipality a typed value names exactly (its code or short name), if any. */
export function namedMunicipality(
  all: readonly Municipality[],
  typed: string,
): Municipality | undefined {
  const query = fold(typed);
  return query ? all.find((m) => m.code === query || fold(m.slug) === query) : undefined;
}
