"""Reading and filtering posts (the X API client is :mod:`empathykit.xapi`).

- ``posts``: the Arrow schema of collected posts (one definition).
- ``tweets``: X API v2 / twarc2 / v1.1 JSON -> posts rows.
- ``sources``: what every reader shares (read report, compressed files).
- ``tabular``: CSV/TSV and Parquet -> posts record batches.
- ``readers``: files and archives -> posts record batches; ``collect_files`` -> Parquet.
- ``fastjson``: the fast path for plain X API v2 JSON lines (Arrow's JSON reader, block by block).
- ``ids``: a usable id for every post.
- ``corpus``: on-topic corpora as token document frequencies (``lexicon select``).
- ``choices``: the filter's closed option sets, light enough for the CLI.
- ``filtering``: the streaming TwittEmp filter (pure batch function, dedup state, local runner).
- ``engines``: which filter engine runs; ``dask_runner``: the same filter on Dask.
- ``synthetic``: generated tweets for benchmarks and tests.
- ``sample_data/tweets.jsonl``: bundled synthetic sample tweets.


Modules:

- ``parallel``: Order-keeping parallel map for the streaming pipelines
"""
