"""The closed sets of the lexicon commands, light enough for the CLI to build its choices from
at start (the modules that use them import numpy and pyarrow)."""

#: How ``lexicon induce`` learns word ratings: a shrunk mean of the documents' ratings, or ridge.
METHODS = ("mean", "ridge")
