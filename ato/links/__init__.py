"""Link health: the tool links of published entries and their web sites, checked on schedule.

``checker`` reaches one address safely (SSRF guard, short timeouts, bounded
bodies); ``services`` plans a run over every distinct URL, records each result
and, after several consecutive failures, tells the entry's contact once and
flags the channel on the public fiche; ``views`` lists broken links for staff;
``cli`` is ``flask ato liens verifier``. The directory does not import this
package: it asks :data:`ato.directory.services.LINK_NOTICES` (an app extension
this package fills) which of an entry's links are flagged.
"""
