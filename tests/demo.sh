#!/usr/bin/env bash
# `make demo`: build a registry in a temporary folder and walk it end to end, the way a newcomer would.
# Run from the project root after `make demo` created .venv (tests/test_demo.py runs it too, so it cannot rot).
set -euo pipefail

charter="${CHARTER:-$PWD/.venv/bin/charter}"
data="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/data"   # results files the demo records
work="$(mktemp -d "${TMPDIR:-/tmp}/charter-demo.XXXXXX")"
registry="$work/ml-registry"
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold="" plain=""; fi
step() { printf '\n%s== %s%s\n$ %s\n' "$bold" "$1" "$plain" "${*:2}"; }

step "Create a registry with a worked example (git repository, first commit)" charter init "$registry"
"$charter" init "$registry"
cd "$registry"
git log --oneline

step "Validate everything: schemas, paths, references, environments" charter validate
"$charter" validate

step "What is in it" charter list
"$charter" list

step "One entry, what it refers to and what refers to it" charter show event:sepsis-onset@2.0.0
"$charter" show event:sepsis-onset@2.0.0

step "Search: field paths, dates, environments, free text; facet counts below the matches" \
  "charter search 'sepsis AND spec.metrics.auroc >= 0.85'; charter search 'env = production' --no-facets"
"$charter" search 'sepsis AND spec.metrics.auroc >= 0.85'
"$charter" search 'env = production' --no-facets
"$charter" list evaluation --where 'spec.date > -365d AND spec.metrics.auroc.ciLower >= 0.84'

step "A typo in a query is an error at its column, with a suggestion (exit 2)" "charter search 'spec.metrcs.auroc > 0.8'"
if "$charter" search 'spec.metrcs.auroc > 0.8'; then echo "expected an error"; exit 1; else echo "(exit $?)"; fi

step "Machines get JSON" "charter list modelversion --format json"
"$charter" list modelversion --format json > "$work/versions.json"
head -n 12 "$work/versions.json"

step "The kinds, and one kind's self-contained JSON Schema for other tools" "charter schema; charter schema Contract | head"
"$charter" schema
"$charter" schema Contract > "$work/contract.schema.json"
head -n 8 "$work/contract.schema.json"

step "A hostile edit: a typo, a duplicate key and a dangling reference are findings with file:line:col" \
  "charter validate (exit 1)"
version_file=models/sepsis-risk/versions/1.1.0.yaml
cp "$version_file" "$work/saved.yaml"
sed -i 's/^  owner: \(.*\)$/  owner: \1\n  ownr: typo\n  owner: again/' "$version_file"
sed -i 's/^  labelEvent: .*$/  labelEvent: event:sepsis-onset@9.9.9/' "$version_file"
if "$charter" validate; then echo "expected findings"; exit 1; else echo "(exit $?)"; fi

step "The same findings as GitHub annotations, for CI" "charter validate --format github"
"$charter" validate --format github || true
cp "$work/saved.yaml" "$version_file"

step "Released entries are immutable: changing a released spec is a finding against the base" \
  "charter validate --base HEAD (exit 1)"
sed -i 's/^    auroc: .*$/    auroc: 0.95/' "$version_file"   # "improving" a released metric by hand
if "$charter" validate --base HEAD; then echo "expected a CH601 finding"; exit 1; else echo "(exit $?)"; fi
git checkout -q -- "$version_file"

step "Back to clean" charter validate --base HEAD
"$charter" validate --base HEAD

step "Artifacts are real and tracked by DVC: every example version's artifact is in the remote" \
  "charter validate --check-artifacts"
"$charter" validate --check-artifacts

step "Evidence anyone can recheck: an evaluation computed from 4,000 scored encounters, recomputed from its DVC-tracked rows" \
  "charter evaluate verify evaluation:sepsis-risk-1-1-0-predictions-retro@1.0.0"
"$charter" evaluate verify evaluation:sepsis-risk-1-1-0-predictions-retro@1.0.0

step "A figure \"improved\" by hand no longer matches its rows (exit 1)" \
  "charter evaluate verify evaluation:sepsis-risk-1-1-0-predictions-retro@1.0.0 (exit 1)"
evidence_file=evaluations/sepsis-risk-1-1-0-predictions-retro/1.0.0.yaml
awk 'd == 0 && /^    auroc:$/ {a = 1} a == 1 && /^      value:/ {sub(/value: .*/, "value: 0.9"); a = 0; d = 1} {print}' \
  "$evidence_file" > "$work/edited.yaml" && cp "$work/edited.yaml" "$evidence_file"
if "$charter" evaluate verify evaluation:sepsis-risk-1-1-0-predictions-retro@1.0.0; then
  echo "expected a CH820 finding"; exit 1
else echo "(exit $?)"; fi
git checkout -q -- "$evidence_file"

step "What should run in production, for a deploy system" "charter resolve sepsis-risk --env production"
"$charter" resolve sepsis-risk --env production
"$charter" resolve model:card-fraud@dev --format json > "$work/card-fraud-dev.json"
grep -m 3 -E '"(ref|mode|percent)"' "$work/card-fraud-dev.json"

step "A training run finishes: register its output with no hand-typed metadata" \
  "charter register sepsis-risk --artifact model.onnx --metrics metrics.json --code-repo TRAINING_REPO"
train="$work/training-code"
mkdir -p "$train"
git -C "$train" init -q
printf 'learning_rate: 0.03\nmax_depth: 6\nfeatures:\n  horizon_hours: 12\n' > "$train/params.yaml"
printf '{"auroc": 0.866, "auprc": 0.352, "calibration": {"brier": 0.0161}}\n' > "$train/metrics.json"
git -C "$train" add params.yaml metrics.json
git -C "$train" -c user.name=demo -c user.email=demo@localhost commit -qm "training code"
"$charter" pull model:sepsis-risk@1.1.0 -o "$train/model.onnx" --quiet   # stands in for a freshly trained model
"$charter" register sepsis-risk --artifact "$train/model.onnx" --metrics "$train/metrics.json" \
  --code-repo "$train" --started-at 2026-11-20T08:00:00Z --finished-at 2026-11-20T09:10:00Z \
  -m "Retrained on data up to October 2026"
git log --oneline -n 2
"$charter" show model:sepsis-risk@1.2.0 > "$work/show.txt"
# the captured environment lists every framework installed here, so show the fields a reviewer reads first
grep -v -E '^ +(numpy|pandas|polars|scipy|scikit-learn|statsmodels|pyarrow|torch|xgboost|lightgbm): ' \
  "$work/show.txt" | head -n 40

step "The latest release, and the approved artifact pulled (hash-checked) from a fresh clone" \
  "git clone ...; charter pull sepsis-risk --env production -o deploy/"
"$charter" resolve model:sepsis-risk@latest
git clone -q "$registry" "$work/deploy-clone"
mkdir -p "$work/deploy"
"$charter" -C "$work/deploy-clone" pull sepsis-risk --env production -o "$work/deploy"
ls -l "$work/deploy"

step "What changed between two versions: a semantic diff, each change classed breaking/warning/info" \
  "charter diff model:sepsis-risk@1.0.0 model:sepsis-risk@1.1.0"
"$charter" diff model:sepsis-risk@1.0.0 model:sepsis-risk@1.1.0 > "$work/diff.txt"
head -n 20 "$work/diff.txt"

step "The new version is evaluated on the hold-out cohort: counts in, threshold table with intervals out, committed" \
  "charter evaluate record model:sepsis-risk@1.2.0 --cohort cohort:sepsis-adult-inpatients-eval@1.0.0 --results ..."
# the evaluation run read the same data snapshot as its parent's (init dated the example's snapshot today)
snapshot="$(sed -n 's/^  dataSnapshot: //p' evaluations/sepsis-risk-1-1-0-retro/1.0.0.yaml)"
sed "s/clarity-2026-02-02/$snapshot/" "$data/evaluate/sepsis-risk-1.2.0.json" > "$work/results.json"
"$charter" evaluate record model:sepsis-risk@1.2.0 --cohort cohort:sepsis-adult-inpatients-eval@1.0.0 \
  --results "$work/results.json" --baseline model:sepsis-risk@1.1.0
git log --oneline -n 1

step "Against its parent on the same cohort: metric deltas, alert volume per threshold, subgroups" \
  "charter evaluate compare model:sepsis-risk@1.2.0"
"$charter" evaluate compare model:sepsis-risk@1.2.0

step "Share the registry: a bare 'origin' on disk stands in for the git host" "git push origin main"
git clone -q --bare "$registry" "$work/origin.git"
git remote add origin "$work/origin.git"
git fetch -q origin && git branch -q --set-upstream-to=origin/main

step "An unevaluated version cannot be promoted: the policy says what is missing, nothing changes" \
  "charter promote model:card-fraud@3.3.0 --to staging (exit 1)"
if "$charter" promote model:card-fraud@3.3.0 --to staging; then echo "expected a refusal"; exit 1; else echo "(exit $?)"; fi

step "Promote the staging version to production: a branch, a structured commit, a PR body with the evidence" \
  "charter promote model:sepsis-risk@1.1.0 --to production --reason ..."
"$charter" promote model:sepsis-risk@1.1.0 --to production \
  --reason "Higher sensitivity at the 0.6 threshold for 4% more alerts" > "$work/promotion.md"
head -n 40 "$work/promotion.md"
branch=charter/promote-sepsis-risk-1.1.0-to-production
git log --format='%h %s%n%b' -n 1 "$branch"

step "The whole registry between two revisions, as a reviewer sees it in the PR" \
  "charter diff main $branch --format markdown"
"$charter" diff main "$branch" --format markdown > "$work/pr-diff.md"
head -n 20 "$work/pr-diff.md"

step "CI re-checks the promotion (the check branch protection requires)" "charter gate --base main"
git checkout -q "$branch"
"$charter" gate --base main
git checkout -q main

step "The PR is merged; then an incident: roll back through the same path" \
  "charter rollback sepsis-risk --env production"
git merge -q --ff-only "$branch" && git push -q origin main
"$charter" resolve sepsis-risk --env production
"$charter" rollback sepsis-risk --env production --reason "Alert storm on ward 4B" > "$work/rollback.md"
head -n 3 "$work/rollback.md"
git branch --list 'charter/*'

step "Intent against report: production now assigns sepsis-risk 1.1.0, but no deploy system has said it runs" \
  "charter status --env production (exit 1)"
if "$charter" status --env production; then echo "expected drift"; exit 1; else echo "(exit $?)"; fi

step "Deploy and monitoring systems report: one file and one commit per record, checked at its line and column" \
  "charter monitor record model:sepsis-risk@1.1.0 --env production --file deployed.yaml"
printf 'type: deployed\nreporter: argo-cd\ndetails: synced revision 8e1f0c2\n' > "$work/deployed.yaml"
"$charter" monitor record model:sepsis-risk@1.1.0 --env production --file "$work/deployed.yaml"
printf '{"type": "deployed", "reporter": "spinnaker"}\n' > "$work/card-fraud.json"
"$charter" monitor record model:card-fraud@3.2.0 --env production --file "$work/card-fraud.json"
# the last seven whole days: 39 encounters alerted (5.6 a day; the evaluation of 1.1.0 expected 5.3)
start="$(date -u -d '-7 days' +%Y-%m-%dT00:00:00Z)" end="$(date -u +%Y-%m-%dT00:00:00Z)" now="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
cat > "$work/health.yaml" <<HEALTH
type: health
reporter: monitoring/weekly-health
at: $now
period: {start: $start, end: $end}
health: {latencyP50Ms: 36, latencyP99Ms: 205, errorRate: 0.0004, scoreDrift: 0.05, alertsPerDay: 5.6,
         unitsScored: 1250, alerts: 39}
HEALTH
"$charter" monitor record model:sepsis-risk@1.1.0 --env production --file "$work/health.yaml"
git log --oneline -n 3

step "In sync again: the latest figures, their age, and each held against what the evaluation expected" \
  "charter status --env production"
"$charter" status --env production

step "A week outside expectation: card-fraud alerts 350 times a day where its evaluation expected 250 (exit 1)" \
  "charter monitor record model:card-fraud@3.2.0 --env production --file storm.yaml; charter status --env production"
cat > "$work/storm.yaml" <<STORM
type: health
reporter: monitoring/weekly-health
at: $now
period: {start: $start, end: $end}
health: {alertsPerDay: 350, unitsScored: 1400000, alerts: 2450}
STORM
"$charter" monitor record model:card-fraud@3.2.0 --env production --file "$work/storm.yaml"
if "$charter" status --env production; then echo "expected a figure outside expectation"; exit 1; else echo "(exit $?)"; fi

step "Performance across versions and time: evaluation estimates beside what monitoring saw" \
  "charter monitor history sepsis-risk --metric alertsPerDay"
"$charter" monitor history sepsis-risk --metric alertsPerDay

step "Lineage: what a version is built from, and what a new event definition would touch" \
  "charter lineage model:sepsis-risk@1.1.0; charter lineage event:sepsis-onset@2.0.0 --impact --format mermaid"
"$charter" lineage model:sepsis-risk@1.1.0
"$charter" lineage event:sepsis-onset@2.0.0 --impact --format mermaid > "$work/impact.mmd"
head -n 8 "$work/impact.mmd"

step "The registry as a static site for closed networks: catalog, model pages with charts and lineage" \
  "charter report -o site"
"$charter" report -o "$work/site" --title "Demo ML registry"
ls "$work/site" "$work/site/models"
printf 'charts on the sepsis-risk page: %s\n' "$(grep -o '<svg class="chart"' "$work/site/models/sepsis-risk.html" | wc -l)"

printf '\nThe demo registry is at %s\n' "$registry"
