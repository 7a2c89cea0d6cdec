"""What git history says: who assigned what where and when (`assignments`, `audit`), with the evidence at the
time (`evidence`), an entry's versions (`entry`), and the semantic diff of entries and revisions (`diff_rules`,
`diff`, `revisions`). Commit messages, environment files of past revisions and the merge that landed a change are
read by `commits`, `environment_items` and `landing`.
"""
