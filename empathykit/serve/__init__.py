"""``empathykit serve``: trained models as a Label Studio ML backend, and ``annotate connect``.
Above ``predict`` (it serves ``predict_records`` rows in the schema's result format)."""
