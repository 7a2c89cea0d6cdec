"""Promotions: the policy of registry.yaml checked for one promotion (`policy`), the pull request's body
(`pr_body`), promote and rollback (`promote`), and the CI re-check of every assignment change (`gate`).
"""
