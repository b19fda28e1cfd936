"""Family ``kd``: multi-task learning with knowledge distillation and teacher annealing.

As in Hosseini & Caragea (2021, section 3.2, after Clark et al. 2019): one
single-task teacher per task (the main task and each ``--aux NAME=DATA``,
e.g. SST-2 sentiment and GoEmotions emotions) is trained first, or given as a
trained model folder (``--teacher NAME=MODEL_DIR``). The student shares one
encoder across tasks with one head per task; examples of every task are mixed
in each minibatch, and an example of task t with gold class y costs

    CE(student_t(x), lambda * onehot(y) + (1 - lambda) * teacher_t(x))

with lambda rising linearly from 0 to 1 over the training steps.
``--set annealing=false`` trains on the one-hot labels alone (lambda = 1, no
teachers): the plain multi-task model (the paper's MT rows). The saved model
predicts the main task; the auxiliary heads are kept in the folder.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from empathykit.errors import InputError, TrainError
from empathykit.progress import Progress
from empathykit.train import data as training_data
from empathykit.train import folder as mf
from empathykit.train import hf, labels
from empathykit.train.classifier import MAIN, ClassifierFamily, ClassifierSettings, collator, encode_split
from empathykit.train.modeling import batched_logits, build_model, save_model
from empathykit.train.settings import setting
from empathykit.train.skeleton import TrainingRun


@dataclass
class KDSettings(ClassifierSettings):
    annealing: bool = setting(
        True, "distil from teachers with lambda rising 0→1 (false: plain multi-task on one-hot labels)"
    )
    aux: dict = setting({}, "auxiliary tasks NAME: DATA (export folder or DATASET:PATH); also --aux NAME=DATA")
    teachers: dict = setting({}, "trained teacher folders NAME: MODEL_DIR ('main' or an aux name); also --teacher")
    teacher_epochs: float = setting(0.0, "epochs for each teacher trained here (0: same as epochs)")
    aux_max_examples: int = setting(
        0,
        "use at most this many training examples per auxiliary task, and as many for its teacher's "
        "validation/test metrics (seeded samples; 0: all)",
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.teacher_epochs < 0 or self.aux_max_examples < 0:
            raise TrainError("settings teacher_epochs and aux_max_examples must not be negative")


def kd_loss(logits, gold, teacher, lam: float):
    """Mean over rows of cross-entropy against ``lam * onehot(gold) + (1 - lam) * teacher``."""
    import torch
    import torch.nn.functional as F

    target = lam * F.one_hot(gold, logits.shape[1]).to(logits.dtype) + (1.0 - lam) * teacher.to(logits.dtype)
    return -(target * torch.log_softmax(logits, dim=1)).sum(dim=1).mean()


def annealed_lambda(step: int, total: int, annealing: bool) -> float:
    return min(1.0, step / max(total, 1)) if annealing else 1.0


def kd_trainer_class():
    from transformers import Trainer

    class KDTrainer(Trainer):
        """Mixed-task batches; each task's rows go through its own head (sum over tasks / batch size)."""

        task_names: list[str] = []
        task_sizes: list[int] = []
        annealing: bool = True

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            gold, task, teacher = inputs.pop("labels"), inputs.pop("task"), inputs.pop("teacher")
            outputs = model(**inputs, task=None)
            lam = annealed_lambda(self.state.global_step, self.state.max_steps, self.annealing)
            total = 0.0
            for index, (name, size) in enumerate(zip(self.task_names, self.task_sizes)):
                rows = task == index
                if rows.any():
                    share = rows.sum() / len(task)
                    total = total + share * kd_loss(outputs[name][rows], gold[rows], teacher[rows, :size], lam)
            return (total, outputs) if return_outputs else total

    return KDTrainer


class KDFamily(ClassifierFamily):
    name = "kd"
    settings_class = KDSettings

    def check(self, data, settings) -> None:
        labels.check_labels(data, kinds=("choice",), family=self.name)
        if settings is not None and settings.class_weights != "none":
            raise TrainError(
                "family 'kd' does not weigh classes (its targets mix gold and teacher labels)",
                hint="--set class_weights=none",
            )

    def train(
        self,
        data,
        settings,
        out_dir: Path,
        *,
        resume: bool = False,
        on_progress: Progress | None = None,
        command: str | None = None,
    ) -> dict[str, Any]:
        self.check(data, settings)
        tasks = {MAIN: data, **self._aux_data(settings)}
        teachers = self._teacher_paths(settings, tasks)
        with TrainingRun(self, data, settings, out_dir, resume=resume, command=command, on_progress=on_progress) as run:
            if settings.annealing:
                teachers = {
                    name: teachers.get(name) or self._train_teacher(name, task, settings, run.work, resume)
                    for name, task in tasks.items()
                }
                hf.seed_everything(settings.seed)  # the student starts the same whether teachers were trained here
            tokenizer, names = run.tokenizer, list(tasks)
            sizes = [len(tasks[n].label_names) for n in names]
            model = build_model(run.base, dict(zip(names, sizes)), settings.pooling, settings.dropout)
            trainer = kd_trainer_class()(
                model=model,
                args=hf.training_arguments(settings, run.work, evaluate=False, label_names=["labels"]),
                train_dataset=self._mixed(tasks, teachers, tokenizer, settings),
                data_collator=collator(tokenizer),
                callbacks=[hf.progress_callback(on_progress)],
            )
            trainer.task_names, trainer.task_sizes, trainer.annealing = names, sizes, settings.annealing
            facts = run.fit(
                trainer, score=lambda: self._split_metrics(model, tokenizer, data, "validation", settings, None)
            )
            if not run.main:
                return {}
            model.eval()
            metrics = run.held_out(lambda split: self._split_metrics(model, tokenizer, data, split, settings, None))
            config = {
                "heads": dict(zip(names, sizes)),
                "pooling": settings.pooling,
                "scale": None,
                "tasks": {
                    n: {
                        "source": t.source,
                        "task": t.task,
                        "label_names": t.label_names,
                        "train_examples": len(t.split("train")),
                    }
                    for n, t in tasks.items()
                },
                "teachers": {n: str(p) for n, p in teachers.items() if p} if settings.annealing else {},
            }
            return run.finish(lambda tmp: save_model(model, tokenizer, tmp), {**metrics, **facts}, extra_config=config)

    def _mixed(self, tasks: dict[str, Any], teachers: dict[str, Path | None], tokenizer, settings):
        """Every task's training rows with its teacher's probabilities (padded to the widest task) and task id."""
        from datasets import concatenate_datasets

        width = max(len(t.label_names) for t in tasks.values())
        parts = []
        for index, (name, task) in enumerate(tasks.items()):
            split = task.split("train")
            probs = self._teacher_probs(teachers.get(name), split, task, width, settings)
            parts.append(
                encode_split(split.add_column("teacher", probs), tokenizer, task, settings, None, task_id=index)
            )
        return concatenate_datasets(parts)

    def _aux_data(self, settings) -> dict[str, Any]:

        if not settings.aux:
            raise TrainError(
                "family 'kd' needs at least one auxiliary task",
                hint="add --aux NAME=DATA, e.g. --aux sst=sst2:../shared/data/aux/sst2",
            )
        result = {}
        for name, spec in settings.aux.items():
            if name == MAIN or not name.isidentifier():
                raise TrainError(f"--aux {name}=...: the name must be a word other than {MAIN!r}")
            aux = training_data.load_training_data(spec)
            labels.check_labels(aux, kinds=("choice",), family=f"kd (aux {name})")
            if settings.aux_max_examples and len(aux.split("train")) > settings.aux_max_examples:
                train = aux.split("train").shuffle(seed=settings.seed).select(range(settings.aux_max_examples))
                aux.dataset = type(aux.dataset)({**aux.dataset, "train": train})
            result[name] = aux
        return result

    def _teacher_paths(self, settings, tasks: dict[str, Any]) -> dict[str, Path]:
        stray = [n for n in settings.teachers if n not in tasks]
        if stray:
            raise TrainError(f"--teacher for unknown task(s) {stray}; tasks are {list(tasks)}")
        paths = {}
        for name, path in settings.teachers.items():
            info = mf.read_labels(Path(path)) if (Path(path) / "labels.json").is_file() else None
            if info is None:
                raise InputError(f"teacher {name}={path}: not a model folder written by `empathykit train`")
            if info.get("label_names") != tasks[name].label_names:
                raise InputError(
                    f"teacher {name}={path} predicts {info.get('label_names')}, but task {name!r} "
                    f"has labels {tasks[name].label_names}"
                )
            paths[name] = Path(path)
        return paths

    def _train_teacher(self, name: str, task, settings, work: Path, resume: bool) -> Path:
        out = work / "teachers" / name
        if (out / mf.MARKER).is_file():  # trained before the run was interrupted
            return out
        fields = {f.name for f in dataclasses.fields(ClassifierSettings)}
        values = {k: v for k, v in settings.to_dict().items() if k in fields}
        values["epochs"] = settings.teacher_epochs or settings.epochs
        if settings.aux_max_examples and name != MAIN:  # a teacher's own metrics are a side fact: cap their cost too
            cap = settings.aux_max_examples
            held = {
                k: v.shuffle(seed=settings.seed).select(range(min(len(v), cap)))
                for k, v in task.dataset.items()
                if k != "train"
            }
            task = dataclasses.replace(task, dataset=type(task.dataset)({**task.dataset, **held}))
        ClassifierFamily().train(task, ClassifierSettings(**values), out, resume=resume and mf.run_dir(out).is_dir())
        return out

    def _teacher_probs(self, teacher: Path | None, split, task, width: int, settings) -> list[list[float]]:
        import torch

        if teacher is None:  # plain multi-task: no teacher, lambda stays 1
            return [[0.0] * width for _ in range(len(split))]
        model, tokenizer, _, _, _ = ClassifierFamily().load(teacher)
        texts = [[t if isinstance(t, str) else "" for t in split[c]] for c in task.inputs]
        logits = batched_logits(
            model, tokenizer, texts, max_length=settings.max_length, batch_size=settings.eval_batch_size, task=MAIN
        )
        probs = torch.softmax(logits, dim=1)
        padded = torch.zeros((len(split), width))
        padded[:, : probs.shape[1]] = probs
        return padded.tolist()
