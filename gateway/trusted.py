"""What one client may run: read-only clients, subgraph-limited clients and trusted
documents (an allow-list of operations).

The integrator's ``authenticate`` puts a ``ClientPolicy`` into ``RequestContext.extra``
(under ``CLIENT_POLICY``) for a client with limits, e.g. a dashboard's access token; the
engine then:

- resolves a request that names a trusted document by hash (Apollo's persisted-query shape
  ``extensions.persistedQuery.sha256Hash`` without ``query``, or a ``documentId`` of
  ``sha256:<hex>``) from the client's own documents;
- refuses any other document when the client has an allow-list
  (``PERSISTED_QUERY_NOT_IN_LIST``; a document sent in full counts when its SHA-256 is
  listed);
- refuses mutations for a read-only client (``FORBIDDEN``);
- refuses a query or subscription whose plan reaches a subgraph the client may not read
  (``FORBIDDEN``).

The checks run after planning, on the cached plan, so they cost a set lookup per request.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gateway.executor import RequestContext
from gateway.limits import error

CLIENT_POLICY = "client_policy"


@dataclass(frozen=True)
class ClientPolicy:
    read_only: bool = False
    # sha256 hex -> document text; None: any document.
    documents: Mapping[str, str] | None = None
    # Names of the subgraphs the client may reach; None: any.
    subgraphs: frozenset[str] | None = None


def policy_of(context: RequestContext) -> ClientPolicy | None:
    policy = context.extra.get(CLIENT_POLICY)
    return policy if isinstance(policy, ClientPolicy) else None


def requested_hash(query: str | None, extensions: Mapping[str, Any] | None) -> str | None:
    """The document hash a request names without sending the document, if it does."""
    if query:
        return None
    persisted = (extensions or {}).get("persistedQuery")
    if isinstance(persisted, Mapping) and isinstance(persisted.get("sha256Hash"), str):
        return str(persisted["sha256Hash"])
    document_id = (extensions or {}).get("documentId")
    if isinstance(document_id, str) and document_id.startswith("sha256:"):
        return document_id.removeprefix("sha256:")
    return None


def trusted_document(
    context: RequestContext, query: str | None, extensions: Mapping[str, Any] | None
) -> tuple[str | None, list[dict[str, Any]]]:
    """(the document's text when the client's allow-list supplies it, refusals)."""
    policy = policy_of(context)
    if policy is None or policy.documents is None:
        return None, []
    digest = requested_hash(query, extensions)
    if digest is None:
        digest = hashlib.sha256((query or "").encode()).hexdigest()
    text = policy.documents.get(digest)
    if text is None:
        return None, [
            error(
                "This client may run only its trusted documents; this one is not among them.",
                "PERSISTED_QUERY_NOT_IN_LIST",
            )
        ]
    return text, []


def refusals(
    context: RequestContext, operation_type: str, graphs: set[str]
) -> list[dict[str, Any]]:
    """Why the client may not run this operation (empty: it may)."""
    policy = policy_of(context)
    if policy is None:
        return []
    if policy.read_only and operation_type == "mutation":
        return [error("This client is read-only: it cannot run mutations.", "FORBIDDEN")]
    if policy.subgraphs is not None and operation_type != "mutation":
        outside = sorted(graphs - policy.subgraphs)
        if outside:
            return [
                error(
                    "This client may not read from " + ", ".join(outside) + ".",
                    "FORBIDDEN",
                )
            ]
    return []
