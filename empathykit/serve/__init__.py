"""``empathykit serve``: trained models as a Label Studio ML backend, and ``annotate connect``.
Above ``predict`` (it serves a :class:`~empathykit.predict.models.LoadedModel`'s rows in the schema's result format).

- ``app``: the FastAPI app (``/health``, ``/setup``, ``/predict``, ``/webhook``), request bodies read
  within limits, the port check and ``serve()`` under uvicorn.
- ``auth``: HTTP basic auth credentials from ``EMPATHYKIT_SERVE_PASSWORD``, and the warning for an
  open server beyond loopback.
- ``backend``: the model in service, the schema a labeling config is, one answer per task.
- ``tasks``: the request limits, and each task read into a model record or its own error.
- ``batching``: concurrent requests' rows run through the model together, in chunks, a failed
  chunk retried row by row.
- ``follow``: a loop folder's newest model, loaded and swapped in on the server's own timer.
- ``connect``: registering a running server with a Label Studio project (``annotate connect``).
"""
