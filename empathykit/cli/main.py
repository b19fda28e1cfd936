"""The ``empathykit`` command and its single error boundary."""

from __future__ import annotations

import typer
from typer.core import TyperGroup

from empathykit.cli import _conventions
from empathykit.errors import EmpathykitError
from empathykit.io import disk_error


class _ErrorBoundary(TyperGroup):
    """Turns any ``EmpathykitError`` raised by a command into one red line
    (plus a hint) on stderr and a non-zero exit; other errors stay loud."""

    def list_commands(self, ctx):
        return _conventions.pipeline_order(super().list_commands(ctx))

    def parse_args(self, ctx, args):
        return super().parse_args(ctx, _conventions.rewrite_aliases(args))

    def invoke(self, ctx):
        from empathykit.cli._common import show_library_messages

        _conventions.quiet_libraries()
        show_library_messages()
        try:
            try:
                return super().invoke(ctx)
            except OSError as exc:  # a full or read-only disk met outside io's writers is one line too
                failure = disk_error(exc)
                if failure is None:
                    raise
                raise failure from None
        except EmpathykitError as error:
            from rich.markup import escape

            from empathykit.cli._common import err_console

            # escaped: messages and hints quote user text and commands such as ".[train]"
            err_console.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False, markup=True)
            if error.hint:
                err_console.print(f"[yellow]hint:[/] {escape(error.hint)}", highlight=False)
            raise typer.Exit(error.exit_code) from None


app = typer.Typer(
    cls=_ErrorBoundary,
    help="Build empathy datasets and models: collect posts, filter, annotate in Label Studio, measure agreement, "
    "export a Hugging Face dataset, then train, evaluate, predict and retrieve with the trainer.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals may hold tokens
    add_completion=False,
)


def _register() -> None:
    # Command modules import only typer at module level so --help stays instant.
    from empathykit.cli import (
        agreement,
        annotate,
        collect,
        export,
        filter,
        lexicon,
        loop,
        predict,
        quickstart,
        retrieve,
        serve,
        studio,
        train,
    )

    app.add_typer(lexicon.app, name="lexicon")
    app.add_typer(collect.app, name="collect")
    app.command("filter", help=filter.filter_command.__doc__)(filter.filter_command)
    app.add_typer(annotate.app, name="annotate")
    app.add_typer(agreement.app, name="agreement")
    app.command("export", help=export.export_command.__doc__)(export.export_command)
    app.add_typer(studio.app, name="studio")
    app.command("train", help=train.train_command.__doc__)(train.train_command)
    app.command("evaluate", help=train.evaluate_command.__doc__)(train.evaluate_command)
    app.command("predict", help=predict.predict_command.__doc__)(predict.predict_command)
    app.command("retrieve", help=retrieve.retrieve_command.__doc__)(retrieve.retrieve_command)
    app.command("quickstart", help=quickstart.quickstart_command.__doc__)(quickstart.quickstart_command)
    app.command("serve", help=serve.serve_command.__doc__)(serve.serve_command)
    app.command("loop", help=loop.loop_command.__doc__)(loop.loop_command)


_conventions.plain_help()
_conventions.one_line_usage_errors()
_register()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
