"""The closed sets of training options, in a module light enough for the CLI to build its
choices from at start (the modules that use them import numpy and the trainer).

The family names themselves are the keys of :data:`empathykit.train.families.FAMILIES`, a
module that imports only the standard library."""

#: How ``retrieve`` searches the corpus (``train.retrieval.search``): exact cosine, a usearch
#: HNSW index, or auto (usearch above ``INDEX_ABOVE`` stories).
INDEXES = ("auto", "exact", "usearch")
#: The families with one classification or rating head on an encoder: what active learning
#: (``active.outputs``) and so ``empathykit loop`` can choose items with.
HEAD_FAMILIES = ("classifier", "kd")
