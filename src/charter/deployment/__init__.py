"""What should run where and what does: `resolve` reads the environment files, `pull` fetches a version's
artifact (hash-verified), `status` replays deployment records against the assignments, and `model_performance`
lines up evaluated and monitored figures of a model by date.
"""
