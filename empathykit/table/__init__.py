"""The tidy annotations table: columns and value encoding
(:mod:`~empathykit.table.columns`), reading, normalisation and value checks
(:mod:`~empathykit.table.annotations`). ``annotate pull`` writes it;
agreement and export read it from here.

Modules:

- ``agreement_input``: What an annotations table held before agreement, as ``agreement.json`` keeps it
- ``items``: The items table beside a pull (``OUT.items.parquet``)
"""
