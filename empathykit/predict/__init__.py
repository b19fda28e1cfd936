"""Predictions: trained model folders, Hugging Face classifiers and lexicon rules, written in
the form ``annotate push --predictions-column`` takes. Above ``train`` and ``lexicons``;
``annotate`` never imports it.

- ``models``: :class:`~empathykit.predict.models.LoadedModel`, a model opened once (one or
  several EPITOME folders, a loop folder's newest, a plain Hugging Face classifier); rows,
  probabilities and embeddings in one ``run``. What ``serve``, ``next-round`` and ``loop`` hold.
- ``runners``: how each kind of folder runs once loaded (one batch loop for head models).
- ``family_runners``: the runners of families that run their own way (epitome, circumplex,
  similarity, any other), and ``trainer_runner``, which picks a trainer folder's runner.
- ``predictions``: ``annotate predict`` (a model or lexicon rules onto a schema's target),
  ``predict_records``, ``predict_file``.
- ``corpus``, ``chunks``, ``sources``, ``parts``, ``dask_engine``: ``empathykit predict`` over a
  corpus: streamed chunks, finished row groups kept for a resume, several processes or Dask.
- ``values``: a model's labels in a schema's terms.
"""
