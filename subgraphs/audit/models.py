"""The audit trail (監査ログ): one append-only, hash-chained record per administrative write
and per sign-in attempt.

Why our own and not a library: django-auditlog records model diffs (not sign-ins, not "what
an import changed" as one entry) and has no hash chain; django-pghistory is PostgreSQL-only
(triggers), and Yui runs embedded on SQLite. Neither chains records so that an edited or
deleted one can be found. This app is small: a record, a chain head per tenant, ``record``.

Cross-cutting by design: every subgraph's actions call ``subgraphs.audit.actions.record``
inside their own transaction, so a change and its record commit or roll back together
(the one exception to "a subgraph owns its tables": the audit table is written by all,
read only through the audit subgraph and the ``yui audit`` command).
"""

from __future__ import annotations

from django.db import models

# The chain of records that belong to no municipality (operators' CLI work, sign-ins that
# named no existing municipality).
DEPLOYMENT_CHAIN = "deployment"


class AuditRecord(models.Model):
    """Who did what, when, from which address, with the state before and after.

    ``hash`` is SHA-256 over the record's canonical content and ``prev_hash`` (the previous
    record's hash in the same chain): editing a record breaks its hash, deleting one breaks
    the next record's ``prev_hash`` (or the chain head, for the last one).
    """

    chain = models.CharField(max_length=40)
    seq = models.PositiveBigIntegerField()
    tenant_id = models.UUIDField(null=True, blank=True)
    at = models.DateTimeField()
    actor_id = models.UUIDField(null=True, blank=True)
    actor = models.CharField(max_length=200, blank=True)
    address = models.CharField(max_length=100, blank=True)
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    summary = models.CharField(max_length=500, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["chain", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["chain", "seq"], name="audit_seq_unique_per_chain")
        ]
        indexes = [models.Index(fields=["tenant_id", "-seq"], name="audit_tenant_newest")]

    def __str__(self) -> str:
        return f"{self.chain}#{self.seq} {self.action}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise RuntimeError("Audit records are append-only.")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise RuntimeError("Audit records are append-only.")


class AuditChainHead(models.Model):
    """The last sequence number and hash of one chain: locked while a record is appended
    (so concurrent writers of one tenant take turns), and the witness that finds the
    deletion of a chain's last records."""

    chain = models.CharField(max_length=40, unique=True)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="")

    def __str__(self) -> str:
        return f"{self.chain}#{self.seq}"
