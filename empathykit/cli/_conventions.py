"""How every command looks and behaves: pipeline order, plain help, quiet libraries, torch check.

Imported by ``cli.main`` before any command runs; only the standard library and typer here,
so ``--help`` stays instant.
"""

from __future__ import annotations

import os
import sys

from empathykit.errors import MissingDependencyError, absent_modules

#: The commands in the order of the work; any other command follows in registration order.
ORDER = (
    "quickstart",
    "studio",
    "collect",
    "filter",
    "lexicon",
    "annotate",
    "agreement",
    "export",
    "train",
    "evaluate",
    "predict",
    "retrieve",
    "serve",
    "loop",
)

#: ``annotate``'s commands in the order a data lead uses them: accounts, tasks, progress, annotations, then
#: the model's part (pre-annotations, a served model, the next round), then upkeep.
ANNOTATE_ORDER = ("users", "push", "status", "pull", "predict", "connect", "next-round", "dedupe")

#: Hidden aliases of option names, rewritten before parsing (kept for one release).
ALIASES = {"--output": "--out"}

TORCH_HINT = (
    "install the trainer: pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu "
    '(CPU; for CUDA the matching build from pytorch.org), then pip install -e ".[train]" in the checkout'
)

_TYPE_NAMES = {"str": "TEXT", "int": "INTEGER", "float": "FLOAT", "path": "PATH", "file": "FILE", "directory": "DIR"}


def pipeline_order(names: list[str], order: tuple[str, ...] = ORDER) -> list[str]:
    known = [name for name in order if name in names]
    return known + [name for name in names if name not in order]


def ordered_group(order: tuple[str, ...]) -> type:
    """A command group whose ``--help`` lists its commands in ``order`` (others after, as registered)."""
    from typer.core import TyperGroup

    class Ordered(TyperGroup):
        def list_commands(self, ctx):
            return pipeline_order(super().list_commands(ctx), order)

    return Ordered


def rewrite_aliases(args: list[str]) -> list[str]:
    """``--output X`` / ``--output=X`` as ``--out``; nothing after ``--`` is touched."""
    result, literal = [], False
    for arg in args:
        if arg == "--":
            literal = True
        if not literal:
            name, sep, value = arg.partition("=")
            arg = ALIASES.get(name, name) + sep + value if name in ALIASES else arg
        result.append(arg)
    return result


def _option_metavar(self, ctx) -> str | None:
    """click's plain metavar (PATH, TEXT, a|b) instead of Typer's ``<path>``; none for flags."""
    if self.is_flag or self.count:
        return None
    if self.metavar is not None:
        return self.metavar
    label = type(self).display_type(self, ctx).strip("<>")
    if label.startswith("list[") and label.endswith("]"):
        label = label[5:-1]
    if choices_of(self):  # a closed set: named here, its values listed in the help text (see _list_choices)
        return max(self.opts, key=len).lstrip("-").replace("-", "_").upper()
    return label if "|" in label else _TYPE_NAMES.get(label, label.upper())


def choices_of(option) -> list[str]:
    descriptor = getattr(option, "type_descriptor", None)
    if descriptor is None or not descriptor.is_choice:
        return []
    return [str(getattr(choice, "value", choice)) for choice in descriptor.choices or ()]


def _list_choices(init):
    """``TyperOption.__init__`` that ends a closed set's help with its values, spaced so help text
    wraps between them: ``a|b|c`` in the narrow type column broke values mid-word at 80 columns."""

    def wrapped(self, *args, **kwargs):
        init(self, *args, **kwargs)
        choices = choices_of(self)
        if choices and self.metavar is None:
            self.help = f"{(self.help or '').rstrip()} One of: {', '.join(choices)}.".lstrip()

    wrapped.lists_choices = True
    return wrapped


def _argument_name(self) -> str:
    return self.metavar if self.metavar is not None else self.name.upper()


def _argument_usage(self) -> str:
    name = self.display_name_raw if self.required else f"[{self.display_name_raw}]"
    return name + ("..." if self.nargs != 1 else "")


def plain_help() -> None:
    """Typer 0.29 labels every option with ``<type>`` (even ``--help <bool>``) and wraps required
    arguments in braces (``{model_dir}``), with no setting to turn either off; patch its two
    parameter classes, once, to print help the way click does (``--out PATH``, ``MODEL_DIR``); a closed
    set is named in the type column and its values end the help text."""
    from typer.core import TyperArgument, TyperOption

    TyperOption.display_type_rich = _option_metavar
    if not getattr(TyperOption.__init__, "lists_choices", False):  # a second call must not list them twice
        TyperOption.__init__ = _list_choices(TyperOption.__init__)
    TyperArgument.display_type_rich = lambda self, ctx: None
    TyperArgument.display_name_raw = property(_argument_name)
    TyperArgument._usage_display_name = _argument_usage


def one_line_usage_errors() -> None:
    """Off a terminal, a usage error (a missing option, a value not in a closed set) is one
    ``error:`` line and one ``hint:`` line, like every other error: Typer draws it in a box that
    wraps at 80 columns, several lines in a log where ``grep error:`` finds none."""
    from typer import rich_utils

    boxed = rich_utils.rich_format_error
    if getattr(boxed, "one_line", False):
        return

    def plain(error) -> None:
        if sys.stderr.isatty() or type(error).__name__ == "NoArgsIsHelpError":
            return boxed(error)
        ctx = getattr(error, "ctx", None)
        print(f"error: {' '.join(error.format_message().split())}", file=sys.stderr)
        if ctx is not None:
            print(f"hint: `{ctx.command_path} --help` lists the options", file=sys.stderr)

    plain.one_line = True
    rich_utils.rich_format_error = plain


def quiet_libraries() -> None:
    """No progress bars or advisories from datasets, transformers or the Hub in our output: our
    own progress goes to stderr. The environment covers libraries imported later; the calls cover
    those a caller (a test, a notebook) has imported already."""
    for name, value in (
        ("HF_DATASETS_DISABLE_PROGRESS_BARS", "1"),
        ("HF_HUB_DISABLE_PROGRESS_BARS", "1"),
        ("TRANSFORMERS_VERBOSITY", "error"),
        ("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1"),
        ("TOKENIZERS_PARALLELISM", "false"),
    ):
        os.environ.setdefault(name, value)
    if "datasets" in sys.modules:
        import datasets

        datasets.disable_progress_bars()
        datasets.logging.set_verbosity_error()
    if "transformers" in sys.modules:
        from transformers.utils import logging

        logging.set_verbosity_error()
        logging.disable_progress_bar()
    if "huggingface_hub" in sys.modules:
        from huggingface_hub.utils import disable_progress_bars

        disable_progress_bars()


def require_torch(command: str) -> None:
    """One line naming the install command when the trainer's libraries are missing (the
    quickstart's environment has none), before any data is read."""
    missing = absent_modules(("torch", "accelerate", "sklearn"))
    if missing:
        raise MissingDependencyError(
            f"{command} needs the trainer's libraries; not installed: {', '.join(missing)}", hint=TORCH_HINT
        )
