from django.apps import AppConfig


class FacilitiesConfig(AppConfig):
    name = "subgraphs.facilities"
    label = "facilities"
    verbose_name = "Facilities subgraph (施設予約)"
