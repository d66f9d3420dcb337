"""Sessions stored encrypted (SEC-3).

A session can hold what a user is typing — a notification's draft with the card number and
birth date, an officer's search by card number — so its row is encrypted like the columns in
``core.encrypted`` (Django's own encoding is only signed base64). A session that does not
decrypt (a key removed, a tampered row) is an empty one: the user signs in again.
"""

from django.contrib.sessions.backends import db

from . import crypto

CONTEXT = "django_session.session_data"


class SessionStore(db.SessionStore):
    def encode(self, session_dict) -> str:
        return crypto.encrypt(super().encode(session_dict), context=CONTEXT)

    def decode(self, session_data: str) -> dict:
        try:
            plain = crypto.decrypt(session_data, context=CONTEXT)
        except crypto.DecryptionError:
            return {}
        return super().decode(plain)
