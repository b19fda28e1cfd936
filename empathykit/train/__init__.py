"""The bundled trainer: fine-tune, evaluate and predict with models on exported datasets.

Layout (each family builds on the same core; torch and transformers are imported lazily)::

    settings.py   TrainSettings: base dataclass, every field documented (``setting(default, help)``),
                  validated in ``__post_init__``; ``resolve_settings`` builds them in one place
                  (defaults < a resumed run's record < --config YAML < --set < --model/--aux/--teacher),
                  type-coerced; unknown keys → one line listing the valid ones. A family subclasses it (``ClassifierSettings``, ``KDSettings``, ...).
    families.py   ``get_family`` over ``choices.FAMILIES`` (name → "module:Class", lazy); ``Family`` base with ``check``, ``train(data,
                  settings, out_dir, resume=, on_progress=, command=) -> metrics``, ``evaluate(model_dir,
                  data, split, out_dir=None) -> metrics`` (+ PNGs), ``predict(model_dir, records) ->
                  [{"prediction", "prediction_score"}]``; ``get_family(name)``.
    data.py       ``load_training_data(DATA, task) -> TrainingData`` (the fields of exports.ExportedDataset
                  + ``source``); DATA = export folder or DATASET:PATH (exported on the fly into the cache).
    skeleton.py   ``TrainingRun``: the one run skeleton of every family's ``train`` (checks, output lock,
                  run folder and --resume record, ``fit``, ``held_out`` metrics, ``finish``).
    folder.py     the model folder: ``prepare_run`` (checkpoint folder ``.OUT.train-run/`` beside OUT,
                  refuses stale checkpoints without --resume), ``write_model_folder`` (atomic: weights,
                  tokenizer, labels.json, config.yaml with ``family``, metrics.json, README.md card with
                  the Hub's YAML), ``read_model_config``, ``model_version``, ``check_base_model``.
    hf.py         the Trainer engineering: ``seed_everything``, ``resolve_precision`` (auto|bf16|fp16|fp32),
                  ``tokenize`` (no padding: collators pad per batch), ``training_arguments``,
                  ``progress_callback``, ``fit(trainer, work_dir, resume)``; works under torchrun/accelerate.
    modeling.py   ``EncoderWithHeads``: shared encoder + one linear head per task, first-token or mean
                  pooling; ``build_model``, ``save_model`` (encoder/ + heads.safetensors), ``load_model``,
                  ``batched_logits``.
    labels.py     label kinds (choice / multichoice / rating): checks, targets, losses, decoding, metrics.
    metrics.py    classification (positive-class P/R/F1 for binary), multi-label, regression; confusion PNG.
    classifier.py family ``classifier`` (a ``Trainer`` subclass with one ``compute_loss``).
    kd.py         family ``kd``: multi-task student, teachers, teacher annealing.
    mlm.py        family ``mlm``: masked-LM pretraining on unlabelled text (texts.py reads it); writes an encoder.
    keep_best.py  never worse than the start: the starting model scored on validation, then each epoch
                  and the end; the best is handed back (``kept`` in metrics.json and the card).
    search.py     ``--search``: an optuna grid over settings, each trial the family's training, the best kept.
    label_map.py  ``evaluate --label-map``: another data set's gold labels in the model's label space.
    class_weights.py, span_decoding.py  the ``class_weights`` setting; EPITOME rationale tags -> spans.
    level_decoding.py  EPITOME levels: argmax, or per-level offsets chosen on validation macro-F1.
    run.py        the workflows behind the commands: ``train_model``, ``evaluate_model``,
                  (prediction: :mod:`empathykit.predict.predictions`).

A new family: a module with a ``Family`` subclass (reuse ``hf``, ``folder``, ``data``) and one line in
``choices.FAMILIES``. Test fixtures (tiny BERT + tokenizer built on the fly, toy data):
``tests/train_fixtures.py``.


Modules:

- ``circular``: Circularity of class embeddings (the circumplex study's measures) and the class angle sets
- ``circumplex``: Family ``circumplex``
- ``circumplex_metrics``: Measures of class embeddings on the class circle (nearest direction, metrics, projection PNG)
- ``epitome``: Family ``epitome``
- ``epitome_model``: The EPITOME bi-encoder (Sharma et al
- ``model_card``: The model card (``README.md``) of a model folder
- ``rationales``: Rationales as the EPITOME model sees them
- ``retrieval``: Story retrieval with a similarity model, and EmpathicStories' retrieval metrics
- ``similarity``: Family ``similarity``
"""
