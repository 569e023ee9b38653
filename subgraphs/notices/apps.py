from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "subgraphs.notices"
    label = "notices"
    verbose_name = "Notices subgraph (インフォメーション・回覧・アンケート)"
