"""The X API client: search, stream, hydrate, into append-only JSONL with provenance.

- ``client``: ``XClient``, the one place requests are sent and retried (raw pages out).
- ``collection``: full-archive/recent search and hydration, resumable.
- ``stream``: the filtered stream and its rules.
- ``store``: the append-only page log and its lock.
- ``query``: the lexicon's words and topics -> search queries.
- ``shared_ids``: tweet ids from shared data sets, for hydration.
"""
