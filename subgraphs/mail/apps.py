from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "subgraphs.mail"
    label = "mail"
    verbose_name = "Mail subgraph (メール・共有メールボックス・ダイレクトメッセージ)"
