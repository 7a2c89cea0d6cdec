"""Adapters at the edge: git (`git/`), DVC (`dvc`) and the forges (`forge/`). The core never imports them at
module level: each is imported by the command that needs it, so the pre-commit hook stays light.
"""
