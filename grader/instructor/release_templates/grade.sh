#!/usr/bin/env bash
@@GENERATED@@
#
# Grades one assignment for GitHub Classroom: bash .github/classroom/grade.sh NN MAX_POINTS
# Writes the runner result (JSON, base64-encoded) to this step's output `result`. It always exits 0:
# the reporter step decides whether the run passes. NNOTT_HIDDEN=true (set by the workflow when the
# instructor's repository was checked out into .instructor/) grades with the hidden tests too.
set -uo pipefail

assignment="$1"
max_points="$2"
workspace="${GITHUB_WORKSPACE:-$PWD}"
python="$workspace/.venv/bin/python"
out="${RUNNER_TEMP:-/tmp}/nnott-classroom-$assignment.json"
summary="${RUNNER_TEMP:-/tmp}/nnott-summary-$assignment.md"
rm -f "$out" "$summary"

if [ ! -x "$python" ]; then
  echo "::error::$python is missing: the set-up step did not finish."
elif [ "${NNOTT_HIDDEN:-false}" = "true" ] && [ -d "$workspace/.instructor/grader/instructor" ]; then
  echo "Assignment $assignment: public and hidden tests, graded by the instructor's copy of the grader."
  # Classroom points are feedback (a student can edit this workflow), so the run is the in-process one of
  # `make test --hidden`; the grade of record is `make grade`'s sandboxed judge on the collected repositories.
  (cd "$workspace/.instructor" && "$python" -m grader test "$assignment" --impl "$workspace" --hidden \
     --format classroom --out "$out" --summary "$summary")
else
  echo "Assignment $assignment: public tests only (the grades that count come from the instructor's run)."
  "$python" -m grader test "$assignment" --format classroom --out "$out" --summary "$summary"
fi

if [ ! -s "$out" ]; then
  printf '{"version":1,"status":"error","max_score":%s,"tests":[{"name":"grader","status":"error","score":0,"message":"the grader could not run; see the log of this step","test_code":"make test A=%s","filename":"","line_no":0,"duration":0}]}\n' \
    "$max_points" "$assignment" > "$out"
fi

if [ -x "$python" ]; then
  "$python" - "$out" <<'PY'
import json, sys
result = json.load(open(sys.argv[1], encoding="utf-8"))
earned = sum(t["score"] for t in result["tests"])
for t in result["tests"]:
    lines = t["message"].splitlines() or [""]
    print(f"  {t['status']:<5}  {t['score']:>6g}  {t['name']}  ({lines[0]})")
    for line in lines[1:] if t["status"] != "pass" else []:
        print("                 " + line)
print(f"  total  {earned:g} / {result['max_score']:g}  ({result['status']})")
PY
fi

# The per-task table (partial credit as `make test` gives it, and what Classroom records) on the run's page
if [ -s "$summary" ] && [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  cat "$summary" >> "$GITHUB_STEP_SUMMARY"
fi

echo "result=$(base64 -w0 < "$out")" >> "${GITHUB_OUTPUT:-/dev/stdout}"
exit 0
