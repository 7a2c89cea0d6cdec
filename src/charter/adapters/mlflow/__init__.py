"""MLflow, the tracker most teams already log runs to: read runs and models from it, set its aliases.

`tracking`: the connection, its errors and the credentials that must never show; `runs`: what a run recorded, in
Charter's terms. MLflow is the `charter[mlflow]` extra and takes seconds to import, so nothing outside the MLflow
commands imports this package.
"""
