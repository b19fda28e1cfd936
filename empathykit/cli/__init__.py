"""Typer command-line interface: one module per command group, each command a
thin wrapper over a library function (see ``empathykit.cli.main``).

Modules:

- ``_common``: Helpers shared by the command modules
- ``_conventions``: How every command looks and behaves
- ``_progress``: The one renderer of ``empathykit.progress``
- ``agreement``: `empathykit agreement`
- ``annotate``: `empathykit annotate`
- ``annotate_model``: Commands of `empathykit annotate` that use a model: predict, connect, next-round (registered by ...
- ``collect``: `empathykit collect`
- ``collect_api``: Commands of `empathykit collect` for the live X API (registered by ...
- ``collect_files``: Commands of `empathykit collect` that read files and archives (registered by ...
- ``export``: `empathykit export`
- ``filter``: `empathykit filter`
- ``lexicon``: `empathykit lexicon` commands
- ``loop``: `empathykit loop`
- ``predict``: `empathykit predict`
- ``quickstart``: `empathykit quickstart`
- ``retrieve``: ``empathykit retrieve``
- ``serve``: `empathykit serve`
- ``studio``: `empathykit studio`
- ``train``: `empathykit train`, `empathykit evaluate` (`empathykit predict`
"""
