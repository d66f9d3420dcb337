from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo loader (``setup_demo``, ``demo_logins``): the top of the house, above every
    service, so it may use them all while nothing below knows it."""

    name = "zairyu.demo"
    verbose_name = "Demo"
