"""Collection and filtering stages.

- ``posts``: the Arrow schema of collected posts (one definition).
- ``tweets``: X API v2 / twarc2 / v1.1 JSON -> posts rows.
- ``readers``: files and archives -> posts record batches; ``collect_files`` -> Parquet.
- ``filtering``: the streaming TwittEmp filter (pure batch function, dedup state, local runner).
- ``dask_runner``: the same filter on Dask.
- ``synthetic``: generated tweets for benchmarks and tests.
- ``sample_data/tweets.jsonl``: bundled synthetic sample tweets.
"""
