"""The closed sets of training options, in a module light enough for the CLI to build its
choices from at start (the modules that use them import numpy and the trainer)."""

#: The model families by name, each a lazy ``"module:Class"`` (``train.families.get_family``
#: imports the one asked for); adding a family is one module and one line here.
FAMILIES: dict[str, str] = {
    "classifier": "empathykit.train.classifier:ClassifierFamily",
    "kd": "empathykit.train.kd:KDFamily",
    "epitome": "empathykit.train.epitome:EpitomeFamily",
    "similarity": "empathykit.train.similarity:SimilarityFamily",
    "circumplex": "empathykit.train.circumplex:CircumplexFamily",
    "mlm": "empathykit.train.mlm:MLMFamily",
}

#: The splits of an export, what ``evaluate --split`` scores.
SPLITS = ("train", "validation", "test")
#: How ``retrieve`` searches the corpus (``train.retrieval.search``): exact cosine, a usearch
#: HNSW index, or auto (usearch above ``INDEX_ABOVE`` stories).
INDEXES = ("auto", "exact", "usearch")
#: The families with one classification or rating head on an encoder: what active learning
#: (``active.outputs``) and so ``empathykit loop`` can choose items with.
HEAD_FAMILIES = ("classifier", "kd")
