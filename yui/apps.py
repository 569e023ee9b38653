from django.apps import AppConfig


class YuiConfig(AppConfig):
    name = "yui"
    verbose_name = "Yui server"
