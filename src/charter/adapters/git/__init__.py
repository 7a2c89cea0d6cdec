"""All of Charter's git access; nothing outside this package imports GitPython or starts git.

- `run`: the one way a git process starts (`run_git`) and the one environment every git process gets, GitPython's
  included: without git's own variables (GIT_DIR, GIT_INDEX_FILE, ...: a pre-commit hook has them set for *its*
  repository; `staged` gives the index back to the processes that read it, when it is the registry's repository's),
  without hooks or fsmonitor (`validate` and `gate` run on untrusted pull requests), in English.
- `repo`: a repository found or created, where a registry sits in it, what a revision names, commits, and the
  training code's state.
- `revision`: a registry as it was at one revision (`RevisionReader`); `staged`: as the index holds it, for the
  commit being made (`StagedIndex`); `files`: the work tree's files as git sees them; `log`: `git log`, the parent
  graph and `git cat-file`, parsed.
- `worktree`: changes made on a branch of their own, in a temporary worktree (promote), and pushed.

GitPython is the repository object the writing commands hold (`repo.Repository`): it finds the repository from any
folder inside it and answers from git's files without a process: HEAD and the current branch, refs, heads,
remotes and their URLs, the person's identity in the configuration; it also says whether the tree is dirty.

Plain `git` processes (`run_git`), not GitPython, everywhere else, for speed: reading a revision (`revision`,
`files`) and history (`log`) must not pay GitPython's import (`validate --base` on a small change, the pre-commit
hook, `charter history` with its one-second budget), their output is bytes parsed here, and one batched process
answers a question for every file or commit (`cat-file --batch`, one `log`, one `ls-tree`), independent ones at
once (`run_git_parallel`, `in_background`). The commands a writer issues (add, commit, reset, worktree, push,
fetch) go through `run_git` too, so each git process starts one way, with one environment and one kind of error.
"""
