"""Form helpers shared by every app's pages: kept here for the portal's own imports."""

from zairyu.core.forms import add_service_errors

__all__ = ["add_service_errors"]
