"""Settings: ``base`` holds everything; ``dev``, ``test``, ``production`` and ``bench`` adjust it.

Every value that differs between machines comes from an environment variable, documented in
docs/configuration.md.
"""
