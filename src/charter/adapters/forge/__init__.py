"""Pull and merge requests on GitHub and GitLab, through their REST APIs with the standard library only.

`base`: what both clients share (HTTP, token scrubbing, errors); `github`, `gitlab`: one module per forge; `choose`:
the client registry.yaml configures; `ci`: the pull request a CI job runs for.
"""
