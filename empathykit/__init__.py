"""empathykit: build empathy datasets and the models trained on them.

Subpackages, from the commands down (layers only point down; the import-linter
contract in pyproject.toml keeps it so):

- ``empathykit.cli``: the Typer commands (parse options, call the library, print its report)
- ``empathykit.loop``: the active-learning loop across annotation rounds
- ``empathykit.serve``: the model as a Label Studio ML backend (FastAPI)
- ``empathykit.active``: choosing the next round's items (uncertainty, diversity, random)
- ``empathykit.predict``: one loaded model, and predictions over items and corpora
- ``empathykit.train``: the bundled trainer (classifier, kd, epitome, similarity, circumplex, mlm)
- ``empathykit.agreement``: inter-annotator agreement, reports, adjudication
- ``empathykit.exports``: aggregation, splits, Hugging Face datasets and their cards
- ``empathykit.annotate``: Label Studio project operations (push, pull, status, users)
- ``empathykit.studio``: Label Studio's server lifecycle (install, start, stop, PostgreSQL)
- ``empathykit.releases``: the published data sets (TwittEmp, EPITOME, EmpathicStories, ...)
- ``empathykit.table``: the long annotations table every algorithm reads
- ``empathykit.xapi``: the X API client (search, stream, hydrate)
- ``empathykit.pipelines``: reading and filtering posts
- ``empathykit.lexicons``: the empathy/distress lexicon, scoring and induction
- ``empathykit.schemas``: one module per annotation task
- ``quickstart``: the main job of a fresh machine (filter the sample, push it, print the URL)
- the base: ``io`` (atomic outputs), ``temporaries`` (the temporaries of outputs), ``outputs`` (an output's kind),
  ``locks`` (one run per output),
  ``records``, ``config``, ``keyvalue``, ``progress``, ``textfiles``, ``errors``
"""

__version__ = "0.1.0"
