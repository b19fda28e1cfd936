"""Inter-annotator agreement.

Modules:

- ``adjudicate``: Disagreements and their adjudication in Label Studio
- ``bootstrap``: Additive per-unit statistics and their seeded percentile bootstrap over units
- ``categorical``: Agreement of categorical fields (choice, rating, multichoice) at their level
- ``coefficients``: Agreement coefficients as vectorised functions of per-unit statistics
- ``compute``: Agreement of a pulled project, field by field, at each field's level of measurement
- ``formatting``: How agreement figures are written in reports and plots
- ``model_rater``: A model as one more rater, reported apart from the humans (``agreement compute ...
- ``plots``: The PNG plots of ``agreement report`` (matplotlib's Agg backend)
- ``report``: ``agreement report``
- ``span_report``: Agreement of span fields
- ``spans``: Agreement on spans (rationales)
- ``summary``: Rows of the terminal tables ``agreement compute`` and ``agreement report`` print
- ``table``: From the tidy annotation table to the reliability data agreement needs
"""
