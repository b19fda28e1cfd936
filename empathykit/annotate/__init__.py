"""Project operations on a Label Studio server (its lifecycle lives in :mod:`empathykit.studio`).

- ``connection``: which Label Studio to talk to, and the SDK client every command uses.
- ``projects``: one project per (schema, title), its labelling config and instructions.
- ``users``: annotator accounts and their passwords file (``annotate users``).
- ``push``: items -> tasks, validated first, in rounds, with pre-annotations.
- ``push_items``: a push's items read, identified and validated, and its settings checked.
- ``concurrency``: concurrent pushes into one project (the algorithm and its limits).
- ``ledger``: a push's ``item_id -> task ids`` of a project, kept current and saved for the next push.
- ``snapshot``: reading a project through one export snapshot.
- ``pull``: annotations -> tidy Parquet, incremental with ``--since-last``.
- ``pull_incremental``: ``--since-last``: the checkpoint, the check for changes, the merge.
- ``status``: progress per round and per annotator.
- ``duplicates``: items present more than once (found, and removed safely).
- ``stored_predictions``: the model predictions stored on a project's tasks.
"""
