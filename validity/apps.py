from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ValidityConfig(AppConfig):
    name = "validity"
    verbose_name = _("有効性確認")
