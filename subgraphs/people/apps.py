from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "subgraphs.people"
    label = "people"
    verbose_name = "People subgraph"
