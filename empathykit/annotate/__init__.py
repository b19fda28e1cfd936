"""Project operations on a Label Studio server (its lifecycle lives in :mod:`empathykit.studio`).

- ``connection``: which Label Studio to talk to, and the SDK client every command uses.
- ``projects``: one project per (schema, title), its labelling config and instructions.
- ``users``: annotator accounts and their passwords file (``annotate users``).
- ``push``: items -> tasks, validated first, in rounds, with pre-annotations.
- ``concurrency``: concurrent pushes into one project (the algorithm and its limits).
- ``snapshot``: reading a project through one export snapshot.
- ``pull``: annotations -> tidy Parquet, incremental with ``--since-last``.
- ``status``: progress per round and per annotator.
- ``duplicates``: items present more than once (found, and removed safely).
- ``stored_predictions``: the model predictions stored on a project's tasks.
"""
