"""``empathykit loop``: the model in the annotation loop, round after round (pull, export, train,
evaluate, next round). Above ``serve`` (it points served models at the newest round) and ``active``.

Modules:

- ``gate``: The loop's agreement gate
- ``progress``: Whether the people have annotated the round the loop waits for
- ``run``: ``empathykit loop``
- ``state``: Where a loop is
"""
