"""Commands that write entries, each input -> entry -> validated -> one commit: `create_registry` (init),
`new_entry` (new), `register` (a trained model version with its artifact), `record_evaluation` (evaluate record) and
`record_deployment` (monitor record).
"""
