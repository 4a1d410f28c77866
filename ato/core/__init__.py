"""What every feature needs and no feature owns.

``models`` (column types, ``utcnow``), ``audit`` (the audit log and its typed
actions), ``access`` (staff roles and the per-view guard), ``errors`` (business
errors), ``text`` (normalisation, folding, single-line checks), ``csv``
(reading with encoding and delimiter detection, formula-safe writing) and
``forms`` (French WTForms plumbing). Any feature may import ``ato.core``;
``ato.core`` imports no feature.
"""
