from django.apps import AppConfig


class PresenceConfig(AppConfig):
    name = "subgraphs.presence"
    label = "presence"
    verbose_name = "Presence subgraph (在席状況)"
