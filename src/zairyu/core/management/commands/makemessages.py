"""``makemessages`` that also finds the strings marked with ``_lazy``.

Modules that need both ``gettext`` (as ``_``) and ``gettext_lazy`` import the lazy one as
``_lazy``; xgettext knows only the standard names, so without ``--keyword=_lazy`` those strings
never reached the catalogues and showed in English on every page (issue 18). Usage, as
Django's (the project runs it with ``--no-location --no-obsolete``)::

    .venv/bin/python manage.py makemessages --all --no-location --no-obsolete
"""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=_lazy"]
