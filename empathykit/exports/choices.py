"""The closed sets of export options, in a module light enough for the CLI to build its
choices from at start (the modules that use them import pandas)."""

#: What ``export`` writes: the Hugging Face folder, or the EPITOME release's CSV files.
FORMATS = ("hf", "epitome-csv")
#: How the annotators' labels of an item become one (``exports.aggregate.apply_method``).
AGGREGATIONS = ("majority", "majority-drop", "dawid-skene", "mace", "mean", "median")
#: How the annotators' spans of an item become one (``exports.aggregate.SPAN_MODES``).
SPAN_MODES = ("majority", "union", "intersection")
