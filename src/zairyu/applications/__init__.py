"""Service A: online residence applications (SPEC §7 A-1..A-17; issue #7) and their back-office
lifecycle (BO-5, issue #8).

- ``models``: ``Application`` (content by step, state, numbers, decision fields),
  ``ApplicationStateChange`` (timeline), ``ApplicationVersion`` (amendments),
  ``ApplicationDocument``, ``ApplicationHandover``, ``ReceiptCounter``, ``ProvisionalCounter``;
  ``TRANSITIONS`` and the named state groups.
- ``lifecycle``: ``APPLICATION`` (the state machine) and ``transition``, the only writer of
  ``state``; ``numbers`` (provisional and receipt numbers), ``fees``, ``mails``.
- ``rules``: eligibility, one function per rule (``refuse_*``), ``check_eligibility``, receipt
  methods, steps, papers, and ``rules.actions``: what the filer or an officer may do now.
- ``content``: each step field's validator (``content.fields.FIELDS``), storing and reading
  the content.
- ``services``: the use cases, one module per group; ``services.officer`` for the back office
  (``officer`` keeps the old address).
- ``selectors``: reads (what a filer sees, the timeline, the day's queue).
- ``presenters``: what the pages and the back office show.
- ``views`` (``urls``): the filer pages; ``coe`` / ``coe_views``: the electronic COE.
- ``uploads``: PDF and photo checks (A-6, A-7).
"""
