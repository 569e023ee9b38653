from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "subgraphs.core"
    label = "core"
    verbose_name = "Yui shared kernel"
