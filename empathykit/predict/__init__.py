"""Predictions for annotation: trained model folders, Hugging Face classifiers
and lexicon rules, written in the form ``annotate push --predictions-column``
takes. Above ``train`` and ``lexicons``; ``annotate`` never imports it."""
