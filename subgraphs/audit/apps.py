from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "subgraphs.audit"
    label = "audit"
    verbose_name = "Audit trail (監査ログ)"
