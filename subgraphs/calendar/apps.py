from django.apps import AppConfig


class CalendarConfig(AppConfig):
    name = "subgraphs.calendar"
    label = "calendar"
    verbose_name = "Calendar subgraph (スケジュール)"
