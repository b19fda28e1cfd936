"""``empathykit loop``: the model in the annotation loop, round after round (pull, export, train,
evaluate, next round). Above ``serve`` (it points served models at the newest round) and ``active``."""
