"""The closed sets of filter options, in a module light enough for the CLI to build its
choices from at start (the modules that use them import pyarrow)."""

#: Where the filter runs: streaming on one machine, or on Dask.
ENGINES = ("local", "dask")
#: How topic terms match a post (``pipelines.filtering``).
TOPIC_MATCHES = ("word", "prefix", "substring")
#: Input formats the readers take (``pipelines.readers.iter_posts``).
INPUT_FORMATS = ("auto", "jsonl", "csv", "stream-grab", "parquet")
