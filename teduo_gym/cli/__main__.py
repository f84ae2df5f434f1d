"""``python -m teduo_gym.cli``: the ``teduo`` command (used by ``accelerate launch`` / ``torchrun``)."""

from teduo_gym.cli import main

main()
