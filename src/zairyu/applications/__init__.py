"""Service A: online residence applications (SPEC §7 A-1..A-17; issue #7) and their back-office
lifecycle (BO-5, issue #8).

- ``models``: ``Application`` (content by step, state, numbers, decision fields),
  ``ApplicationStateChange`` (timeline), ``ApplicationVersion`` (amendments),
  ``ApplicationDocument``, ``ApplicationHandover``, ``ReceiptCounter``, ``ProvisionalCounter``;
  ``TRANSITIONS`` and the named state groups.
- ``rules``: eligibility, one function per rule (``refuse_*``), ``check_eligibility``,
  ``receipt_methods_offered``.
- ``services``: ``transition`` (the only writer of ``state``), numbers, fees, and the use cases.
- ``uploads``: PDF and photo checks (A-6, A-7).
"""
