"""empathykit: build empathy datasets and the models trained on them.

Subpackages (one package so the names cannot clash in site-packages):

- ``empathykit.pipelines``: collection and filtering stages
- ``empathykit.lexicons``: lexicon loading and scoring
- ``empathykit.schemas``: one module per annotation task
- ``empathykit.annotate``: Label Studio client (server, projects, users, push, pull)
- ``empathykit.agreement``: inter-annotator agreement
- ``empathykit.exports``: aggregation, splits, Hugging Face datasets
"""

__version__ = "0.1.0"
