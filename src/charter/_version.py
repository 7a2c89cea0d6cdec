"""The release of this package, apart from its __init__ so that importing it pulls in nothing else."""

__version__ = "0.1.0"
