"""A session verified with a second factor, for tests of staff pages (ID-17, SEC-2).

The back office and the admin let in only a session verified with a TOTP code; this leaves in
the session what a right code at the sign-in step leaves (django-otp's device id). The rule
itself is tested over HTTP in tests/accounts/test_otp.py and tests/accounts/test_staff_otp.py.
"""

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice


def verify_second_factor(client, user):
    """Mark the client's session as verified with a confirmed TOTP device of ``user``."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


def code_for(device, steps: int = 0) -> str:
    """The code the user's app shows now (or ``steps`` time steps away)."""
    import time

    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps * device.step
    return f"{totp.token():06d}"
